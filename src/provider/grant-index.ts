import type { ModelStore, SetStore } from '../store/store.js';
import { epochSeconds, type Clock } from '../time/clock.js';
import { GRANT_MODEL, grantIdOfPayload } from './oidc-provider-internals.js';

/**
 * Records a client holds without a grant: a client_credentials access token, and a device code
 * nobody has approved yet. Every other token or code belongs to a grant and dies with it.
 */
const HELD_WITHOUT_GRANT = new Set(['ClientCredentials', 'DeviceCode']);

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * Each index is cut into buckets by when its entries expire, and a bucket lives as long as its
 * latest entry: an owner that stays active for years still has only its live records indexed (and
 * at most a bucket's width of dead ones). Short-lived entries (client_credentials tokens, many
 * and brief) go in narrow buckets, the rest in day-wide ones.
 */
const TIERS = [
  { name: 'm', width: 5 * 60, upTo: HOUR },
  { name: 'd', width: DAY, upTo: Infinity },
] as const;

export interface GrantIndexOptions {
  /** The longest lifetime of an indexed record (the Grant's): revocation looks no further ahead. */
  longestLifetimeSeconds: number;
  clock: Clock;
  /**
   * Clients whose grants and tokens are never revoked as a whole: the configuration file's, which
   * cannot be deleted at runtime. Not indexing them keeps a store write off each of their tokens.
   */
  permanentClients?: ReadonlySet<string>;
}

/**
 * Which grants belong to each client and each account, and which records a client holds without
 * one, so that deleting a client or ending an account revokes every one of them at once, on every
 * instance: oidc-provider finds grants only by their id. The store adapter notes each record here
 * before it saves it, so an index may name a record that is gone, never miss one that exists.
 */
export class GrantIndex {
  readonly #store: ModelStore & SetStore;
  readonly #longest: number;
  readonly #clock: Clock;
  readonly #permanentClients: ReadonlySet<string>;

  constructor(store: ModelStore & SetStore, { longestLifetimeSeconds, clock, permanentClients = new Set() }: GrantIndexOptions) {
    this.#store = store;
    this.#permanentClients = permanentClients;
    this.#longest = longestLifetimeSeconds;
    this.#clock = clock;
  }

  /** The store adapter's side: notes a record about to be saved for `expiresIn` seconds. */
  async note(model: string, id: string, payload: Record<string, unknown>, expiresIn: number | undefined): Promise<void> {
    const client = this.#permanentClients.has(String(payload.clientId)) ? undefined : clientOwner(payload.clientId);
    const owners = model === GRANT_MODEL ? [client, accountOwner(payload.accountId)]
      : HELD_WITHOUT_GRANT.has(model) && grantIdOfPayload(payload) === undefined ? [client]
        : [];
    const lifetime = Math.min(expiresIn ?? this.#longest, this.#longest);
    const entry = `${model}:${id}`;
    await Promise.all(owners.filter((owner) => owner !== undefined)
      .map((owner) => this.#store.addToSet(this.#bucketOf(owner, lifetime), entry, lifetime)));
  }

  /** Ends every grant of the client (its tokens and codes with them) and every token it holds without one. */
  async revokeGrantsOfClient(clientId: string): Promise<void> {
    await this.#revoke(clientOwner(clientId)!);
  }

  /** Ends every grant of the account, at every client: its access and refresh tokens stop working. */
  async revokeGrantsOfAccount(sub: string): Promise<void> {
    await this.#revoke(accountOwner(sub)!);
  }

  async #revoke(owner: string): Promise<void> {
    const buckets = this.#liveBuckets(owner);
    const listed = await Promise.all(buckets.map(async (bucket) => ({ bucket, entries: await this.#store.setMembers(bucket) })));
    await Promise.all(listed.flatMap(({ bucket, entries }) => entries.map(async (entry) => {
      const split = entry.indexOf(':');
      const model = entry.slice(0, split);
      const id = entry.slice(split + 1);
      // The Grant first, which every token of it needs: a revocation cut off halfway has still ended it.
      await this.#store.destroyModel(model, id);
      if (model === GRANT_MODEL) await this.#store.revokeGrant(id);
      // Unlisted once gone, so that revoking again reads only what came since.
      await this.#store.removeFromSet(bucket, entry);
    })));
  }

  #bucketOf(owner: string, lifetime: number): string {
    const tier = TIERS.find(({ upTo }) => lifetime <= upTo)!;
    return `grant-index:${owner}:${tier.name}${Math.floor((epochSeconds(this.#clock) + lifetime) / tier.width)}`;
  }

  /** Every bucket that may hold an entry still alive: from now to the longest lifetime ahead, in each tier. */
  #liveBuckets(owner: string): string[] {
    const now = epochSeconds(this.#clock);
    return TIERS.flatMap(({ name, width, upTo }) => {
      const first = Math.floor(now / width);
      const last = Math.floor((now + Math.min(upTo, this.#longest)) / width);
      return Array.from({ length: last - first + 1 }, (_, i) => `grant-index:${owner}:${name}${first + i}`);
    });
  }
}

const clientOwner = (clientId: unknown) => (typeof clientId === 'string' ? `client:${clientId}` : undefined);
const accountOwner = (sub: unknown) => (typeof sub === 'string' ? `account:${sub}` : undefined);
