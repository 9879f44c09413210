import type { Store } from '../store/store.js';

/** A person who signed in through an upstream provider, as of their last sign-in there. */
export interface UpstreamAccount {
  /** `<provider id>:<upstream sub>`: each provider's people are their own accounts, never linked. */
  sub: string;
  provider: string;
  claims: Record<string, unknown>;
  groups: string[];
  /** Epoch seconds. */
  lastSignInAt: number;
}

/** Kept for a year past the last sign-in: tokens issued to the person read it until they expire. */
const RECORD_LIFETIME_SECONDS = 365 * 24 * 60 * 60;

const recordKey = (sub: string) => `upstream-account:${sub}`;

/**
 * Upstream people's records, in the store so that every instance reads the same. Each sign-in
 * replaces the whole record: what the upstream no longer says (a group, a claim) is gone.
 */
export class UpstreamAccounts {
  readonly #store: Store;
  readonly #providerIds: ReadonlySet<string>;

  constructor(store: Store, providerIds: Iterable<string>) {
    this.#store = store;
    this.#providerIds = new Set(providerIds);
  }

  /** Whether `sub` names a person of a configured provider (whether or not they have signed in). */
  isUpstreamSubject(sub: string): boolean {
    const separator = sub.indexOf(':');
    return separator > 0 && this.#providerIds.has(sub.slice(0, separator));
  }

  async find(sub: string): Promise<UpstreamAccount | undefined> {
    if (!this.isUpstreamSubject(sub)) return undefined;
    const stored = await this.#store.getValue(recordKey(sub));
    return stored === undefined ? undefined : (JSON.parse(stored) as UpstreamAccount);
  }

  async save(account: UpstreamAccount): Promise<void> {
    await this.#store.setValue(recordKey(account.sub), JSON.stringify(account), RECORD_LIFETIME_SECONDS);
  }
}
