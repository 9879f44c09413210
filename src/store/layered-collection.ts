import type { Versioned, VersionedCollection } from './versioned-collection.js';

/** An item as a layered collection holds it: where it comes from, and what its ETag is made of. */
export interface Layered<T> {
  name: string;
  item: T;
  /** The layer it comes from: `config` for the configuration file's, else a stored layer's name. */
  source: string;
  /** The stored version, or for a configured item the text of the item (it changes only with the file). */
  version: string;
  /** Whether it can be changed at runtime: stored items can, configured ones cannot. */
  stored: boolean;
}

/** A layer of stored items, under the name their `source` says. */
export interface StoredLayer<T> {
  source: string;
  items: VersionedCollection<T>;
}

/** Where a listing goes on: the layer and the last name of the page before. */
export interface LayerCursor {
  source: string;
  name: string;
}

export const CONFIG_SOURCE = 'config';

/** How many items `all` reads at a time. */
const ALL_PAGE_SIZE = 200;

/**
 * The items of one resource: the configuration file's, read-only, then those of one or more
 * stored layers, which every instance changes from the version it read. A name the configuration
 * defines is the configuration's wherever else it is stored, so every reader sees one item per
 * name. Listings go layer by layer, each by name, so that one cursor pages through them all.
 */
export class LayeredCollection<T> {
  readonly #configured: ReadonlyMap<string, T>;
  readonly #configuredNames: readonly string[];
  readonly #stored: readonly StoredLayer<T>[];

  constructor(configured: Iterable<readonly [string, T]>, stored: readonly StoredLayer<T>[]) {
    this.#configured = new Map(configured);
    this.#configuredNames = [...this.#configured.keys()].sort();
    this.#stored = stored;
  }

  isConfigured(name: string): boolean {
    return this.#configured.has(name);
  }

  get sources(): string[] {
    return [CONFIG_SOURCE, ...this.#stored.map(({ source }) => source)];
  }

  async find(name: string): Promise<Layered<T> | undefined> {
    const configured = this.#configured.get(name);
    if (configured !== undefined) return configuredItem(name, configured);
    for (const layer of this.#stored) {
      const found = await layer.items.find(name);
      if (found) return storedItem(layer.source, found);
    }
    return undefined;
  }

  /** Every item by name, as the request paths read them (the stored ones seen within half a second of a change anywhere). */
  async current(): Promise<ReadonlyMap<string, T>> {
    const layers = await Promise.all(this.#stored.map(({ items }) => items.current()));
    return new Map([...layers.reverse().flatMap((layer) => [...layer]), ...this.#configured]);
  }

  /** Up to `limit` items after `after` (from the first when undefined), layer by layer, and whether more follow. */
  async page(limit: number, after?: LayerCursor): Promise<{ items: Layered<T>[]; more: boolean }> {
    const startLayer = after === undefined ? 0 : this.sources.indexOf(after.source);
    if (startLayer < 0) throw new RangeError(`no layer ${after!.source}`);
    const items: Layered<T>[] = [];
    for (let layer = startLayer; layer < this.sources.length; layer += 1) {
      const from = layer === startLayer ? after?.name : undefined;
      // One more than fits: a full page still says whether anything follows.
      const page = await this.#pageOfLayer(layer, limit + 1 - items.length, from);
      items.push(...page.items);
      if (items.length > limit || page.more) return { items: items.slice(0, limit), more: true };
    }
    return { items, more: false };
  }

  /** Every item, layer by layer, each by name. */
  async all(): Promise<Layered<T>[]> {
    const items: Layered<T>[] = [];
    let after: LayerCursor | undefined;
    for (;;) {
      const page = await this.page(ALL_PAGE_SIZE, after);
      items.push(...page.items);
      const last = page.items.at(-1);
      if (!page.more || !last) return items;
      after = { source: last.source, name: last.name };
    }
  }

  async #pageOfLayer(layer: number, limit: number, after: string | undefined): Promise<{ items: Layered<T>[]; more: boolean }> {
    if (layer === 0) {
      const names = this.#configuredNames.filter((name) => after === undefined || name > after);
      return { items: names.slice(0, limit).map((name) => configuredItem(name, this.#configured.get(name)!)), more: names.length > limit };
    }
    const { source, items } = this.#stored[layer - 1]!;
    // A stored item the configuration shadows is skipped, so read on until the page is full.
    const found: Layered<T>[] = [];
    let from = after;
    for (;;) {
      const page = await items.page(limit - found.length, from);
      found.push(...page.items.filter(({ name }) => !this.isConfigured(name)).map((item) => storedItem(source, item)));
      if (found.length >= limit || !page.more) return { items: found, more: page.more };
      from = page.items.at(-1)?.name;
    }
  }

  /** The stored layer named `source`, to change its items from the version read. */
  layer(source: string): VersionedCollection<T> {
    const layer = this.#stored.find((stored) => stored.source === source);
    if (!layer) throw new RangeError(`no stored layer ${source}`);
    return layer.items;
  }
}

function configuredItem<T>(name: string, item: T): Layered<T> {
  return { name, item, source: CONFIG_SOURCE, version: JSON.stringify(item), stored: false };
}

function storedItem<T>(source: string, { name, item, version }: Versioned<T>): Layered<T> {
  return { name, item, source, version, stored: true };
}
