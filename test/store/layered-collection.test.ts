import { afterEach, describe, expect, it } from 'vitest';

import { LayeredCollection } from '../../src/store/layered-collection.js';
import type { Store } from '../../src/store/store.js';
import { VersionedCollection } from '../../src/store/versioned-collection.js';
import { TestClock } from '../support/clock.js';
import { STORE_BACKENDS } from '../support/stores.js';

describe.each(STORE_BACKENDS)('a layered collection (%s store)', (_name, create) => {
  let store: Store;
  afterEach(() => store?.close());

  /** The configuration's b and d, stored ones under "api" (a, c, d) and "upstream" (x:1, x:2). */
  async function fruits() {
    store = await create(new TestClock());
    const api = new VersionedCollection<string>(store, { record: (name) => `fruit:${name}`, listing: 'fruits' });
    const upstream = new VersionedCollection<string>(store, { record: (name) => `upstream-fruit:${name}`, listing: 'upstream-fruits' });
    for (const [name, item] of [['a', 'apple'], ['c', 'cherry'], ['d', 'stored damson']] as const) await api.put(name, item, undefined);
    for (const [name, item] of [['x:2', 'kiwi'], ['x:1', 'lime']] as const) await upstream.put(name, item, undefined);
    return new LayeredCollection<string>([['d', 'damson'], ['b', 'banana']], [{ source: 'api', items: api }, { source: 'upstream', items: upstream }]);
  }

  it('finds an item in the first layer that has it: the configuration\'s wins a name a stored layer holds too', async () => {
    const collection = await fruits();
    expect(await collection.find('d')).toMatchObject({ item: 'damson', source: 'config', stored: false });
    expect(await collection.find('a')).toMatchObject({ item: 'apple', source: 'api', stored: true });
    expect(await collection.find('x:1')).toMatchObject({ item: 'lime', source: 'upstream' });
    expect(await collection.find('z')).toBeUndefined();
    expect([...(await collection.current())].sort()).toEqual([['a', 'apple'], ['b', 'banana'], ['c', 'cherry'], ['d', 'damson'], ['x:1', 'lime'], ['x:2', 'kiwi']]);
  });

  it('pages layer by layer, each by name, skipping what the configuration shadows, and a cursor goes on where the page ended', async () => {
    const collection = await fruits();
    const seen: string[] = [];
    let page = await collection.page(2);
    seen.push(...page.items.map(({ source, name }) => `${source}:${name}`));
    while (page.more) {
      const last = page.items.at(-1)!;
      page = await collection.page(2, { source: last.source, name: last.name });
      seen.push(...page.items.map(({ source, name }) => `${source}:${name}`));
    }
    expect(seen).toEqual(['config:b', 'config:d', 'api:a', 'api:c', 'upstream:x:1', 'upstream:x:2']);
    expect((await collection.all()).map(({ name }) => name)).toEqual(['b', 'd', 'a', 'c', 'x:1', 'x:2']);
    // The last page says nothing more follows, even when it is full.
    expect(await collection.page(2, { source: 'api', name: 'c' })).toMatchObject({ more: false });
  });

  it('a stored item is changed only from the version read, in its own layer', async () => {
    const collection = await fruits();
    const apple = (await collection.find('a'))!;
    expect(await collection.layer('api').put('a', 'green apple', apple.version)).toBeDefined();
    expect(await collection.layer('api').put('a', 'red apple', apple.version)).toBeUndefined();
    expect((await collection.find('a'))?.item).toBe('green apple');
  });
});
