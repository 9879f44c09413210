import { StoreUnavailableError } from '../store/store.js';
import { wholeFile } from './whole-file.js';

/**
 * One life of a store: named when stagepass first sets the store up, and gone with everything
 * stagepass kept in it. A store that holds another generation than the one an instance served, or
 * none, lost that instance's state.
 */
export interface StoreGeneration {
  id: string;
  /** Epoch milliseconds, by the store's clock. */
  since: number;
}

/** Where an instance remembers the generation it served, so that a restart can tell a store that lost it. */
export interface GenerationMemory {
  /** Named in messages: deleting it is how an operator starts over deliberately. */
  path: string;
  remembered(): Promise<StoreGeneration | undefined>;
  remember(generation: StoreGeneration): Promise<void>;
}

/**
 * The store lost the state an instance served; it refuses to serve on what is left. A request
 * that meets it is answered as one whose store cannot answer: 503.
 */
export class StoreLostError extends StoreUnavailableError {
  override name = 'StoreLostError';
}

export function generationFile(path: string): GenerationMemory {
  const file = wholeFile(path);
  return {
    path,
    async remembered() {
      const text = await file.read();
      if (text === undefined) return undefined;
      const { generation, since } = parsed(text, path);
      return { id: generation, since: Date.parse(since) };
    },
    async remember({ id, since }) {
      await file.write(`${JSON.stringify({ generation: id, since: new Date(since).toISOString() }, null, 2)}\n`);
    },
  };
}

function parsed(text: string, path: string): { generation: string; since: string } {
  try {
    const value = JSON.parse(text) as { generation?: unknown; since?: unknown };
    if (typeof value.generation === 'string' && typeof value.since === 'string' && !Number.isNaN(Date.parse(value.since))) {
      return { generation: value.generation, since: value.since };
    }
  } catch {
    // Named below with the rest.
  }
  throw new Error(`${path} must hold {"generation": "<id>", "since": "<ISO 8601 time>"}, as stagepass writes it`);
}

const describe = ({ id, since }: StoreGeneration) => `generation ${id} (set up ${new Date(since).toISOString()})`;

/**
 * Why an instance that served `remembered` will not start on a store holding `found` (or nothing),
 * and what the operator can do about it.
 */
export function lostStoreMessage(memory: GenerationMemory, remembered: StoreGeneration, found?: StoreGeneration): string {
  const holds = found === undefined ? 'holds none of it' : `holds ${describe(found)} instead`;
  return [
    `the store lost stagepass's state: ${memory.path} says this instance served ${describe(remembered)} of it, and the store ${holds}.`,
    'Starting on it would bring back signing keys rotated out and forget bans, groups, clients, accounts, licenses and tokens.',
    'Restore the store from a backup (Redis\'s RDB or AOF files) and start again;',
    `or, to start over deliberately with an empty store, delete ${memory.path} on every instance (the keys of keys.jwksFile then sign again).`,
  ].join(' ');
}
