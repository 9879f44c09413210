import { StoreUnavailableError, type Store } from '../../src/store/store.js';

type Method = keyof Store;

/**
 * `before`: the call fails and nothing is written. `after`: the call is made, then fails as if
 * Redis had run it and crashed before answering. `late`: the call fails as if it timed out, and is
 * made just before the next call of the same method (a timed-out write that Redis ran later, while
 * the client's retry was under way).
 */
export type FaultMoment = 'before' | 'after' | 'late';

export interface Fault {
  method: Method;
  when: FaultMoment;
  /** Which calls fail (the model, for model methods); every call of the method unless given. */
  model?: string;
}

/** A call held before it is made, until the test releases it. */
export interface HeldCall {
  /** Settles once the call was reached. */
  reached: Promise<void>;
  release(): void;
}

/**
 * A real store (memory, or Redis) with a fault injector in front: the armed calls fail as a store
 * outage would, once each; a held call waits, as a slow one would, while other requests go on.
 */
export interface FaultyStore extends Store {
  failNext(fault: Fault): void;
  /** Holds the next call of the method (only one whose first argument is `model`, when given). */
  holdNext(method: Method, model?: string): HeldCall;
}

export function withFaults(store: Store): FaultyStore {
  const armed: Fault[] = [];
  const late: { method: PropertyKey; run: () => Promise<unknown> }[] = [];
  const holds = new Map<PropertyKey, { model: string | undefined; reached: () => void; released: Promise<void> }>();
  const failure = () => new StoreUnavailableError('injected store failure');
  const holdNext = (method: Method, model?: string): HeldCall => {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => { reached = resolve; });
    holds.set(method, { model, reached, released: new Promise<void>((resolve) => { release = resolve; }) });
    return { reached: reachedPromise, release };
  };
  return new Proxy(store as FaultyStore, {
    get(target, property, receiver) {
      if (property === 'failNext') return (fault: Fault) => armed.push(fault);
      if (property === 'holdNext') return holdNext;
      const original = Reflect.get(target, property, receiver) as unknown;
      if (typeof original !== 'function') return original;
      return async (...args: unknown[]) => {
        const call = () => (original as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const hold = holds.get(property);
        if (hold !== undefined && (hold.model === undefined || hold.model === args[0])) {
          holds.delete(property);
          hold.reached();
          await hold.released;
        }
        for (const held of late.filter(({ method }) => method === property)) {
          late.splice(late.indexOf(held), 1);
          await held.run();
        }
        const index = armed.findIndex((fault) => fault.method === property && (fault.model === undefined || fault.model === args[0]));
        const fault = index < 0 ? undefined : armed.splice(index, 1)[0];
        if (fault?.when === 'before') throw failure();
        if (fault?.when === 'late') {
          late.push({ method: property, run: call });
          throw failure();
        }
        const result = await call();
        if (fault?.when === 'after') throw failure();
        return result;
      };
    },
  });
}
