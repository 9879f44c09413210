import { inGroup } from '../../store/keys.js';
import type { CountedInsertOutcome, CountedSets, SetStore, ValueStore } from '../../store/store.js';
import type { Clock } from '../../time/clock.js';
import { IDEMPOTENCY_WINDOW_SECONDS } from './idempotency.js';

/** What ListTokens shows of a token: never the token itself. */
export interface LicenseTokenRecord {
  TokenId: string;
  TokenType: 'REFRESH_TOKEN';
  LicenseArn: string;
  ExpirationTime: string;
  TokenProperties: string[];
  RoleArns: string[];
  Status: 'AVAILABLE' | 'DELETED';
  /** Who may list, delete and exchange it. */
  clientId: string;
  /** The person it was minted for, its `sub`; absent when the client minted it for itself (its `sub` is then the client's id). */
  person?: string;
  /** The person's groups when it was minted: what a trusted issuer's person, whose groups only their tokens carry, holds it through. */
  groups?: string[];
}

/** A token as ListTokens shows it: neither whose it is nor the token itself. */
export type ListedLicenseToken = Omit<LicenseTokenRecord, 'clientId' | 'person' | 'groups'>;

export function listedToken({ clientId: _client, person: _person, groups: _groups, ...listed }: LicenseTokenRecord): ListedLicenseToken {
  return listed;
}

/**
 * A license's token records, its live tokens (counted against its maxTokens) and its client_token
 * claims are written in one atomic step, so they are keys of the license's group. A token's
 * license, a client's listing and a person's are indices of their own, written before that step:
 * left behind by a refused or cut-off insert, they point at no record and are skipped.
 */
const recordKey = (licenseArn: string, tokenId: string) => inGroup(licenseArn, `license-token:${tokenId}`);
const liveOf = (licenseArn: string) => inGroup(licenseArn, 'license-live-tokens');
/** A person's live tokens of the license, counted against its maxTokensPerPerson in the same step. */
const liveOfPerson = (licenseArn: string, person: string) => inGroup(licenseArn, `license-live-tokens-of:${person}`);
const claimOf = (licenseArn: string, claimKey: string) => inGroup(licenseArn, claimKey);
const licenseOf = (tokenId: string) => `license-of-token:${tokenId}`;
const byClient = (clientId: string) => `license-tokens-of-client:${clientId}`;
const byPerson = (person: string) => `license-tokens-of-person:${person}`;
const byLicense = (licenseArn: string) => `license-tokens-of-license:${licenseArn}`;

/** A record as stored: the token's, and the key of the client_token it was issued for, forgotten with it. */
interface StoredToken extends LicenseTokenRecord {
  /** Absent from tokens recorded before it was kept: their client_token lapses on its own, within ten minutes. */
  claimKey?: string;
}

function recordOf({ claimKey: _claim, ...record }: StoredToken): LicenseTokenRecord {
  return record;
}

/**
 * A stored record. Tokens recorded before they named their person apart kept their `sub` as
 * `subject`: it named their person unless it was the client's own id.
 */
function storedOf(json: string): StoredToken {
  const { subject, ...stored } = JSON.parse(json) as StoredToken & { subject?: string };
  return subject === undefined || subject === stored.clientId ? stored : { ...stored, person: subject };
}

/** Where an index entry leads: to the token, to a token still being recorded (its license known, no record yet), or nowhere. */
type Located = { stored: StoredToken } | { pending: true } | { gone: true };

/**
 * The license refresh tokens issued, kept in the store until they expire. A deleted token stays
 * listed as DELETED until then, as ListTokens shows it, but no longer counts or exchanges. What a
 * deleted client held is forgotten, so that a client made again under its id finds none of it.
 */
export class LicenseTokenRegistry {
  /** `endsWith`: what ends with each token it ends, however it ends (the leases its role credentials checked out). */
  constructor(
    private readonly store: ValueStore & SetStore & CountedSets,
    private readonly clock: Clock,
    private readonly endsWith: (token: LicenseTokenRecord) => Promise<void> = async () => {},
  ) {}

  /**
   * Records a signed token, its place among the license's live tokens and its client_token in one
   * atomic step: a token is either recorded whole, with its client_token, or not at all. A
   * client_token already taken (a retry, within ten minutes, for the same license) answers what it holds.
   */
  async insert(
    token: LicenseTokenRecord,
    claim: { key: string; value: string },
    { maxTokens, maxTokensOfPerson, expiresIn }: { maxTokens: number; maxTokensOfPerson?: number; expiresIn: number },
  ): Promise<CountedInsertOutcome> {
    await Promise.all([
      this.store.setValue(licenseOf(token.TokenId), token.LicenseArn, expiresIn),
      ...this.#listingsOf(token).map((listing) => this.store.addToSet(listing, token.TokenId, expiresIn)),
    ]);
    const stored: StoredToken = { ...token, claimKey: claim.key };
    const inserted = await this.store.insertCounted({
      claim: { key: claimOf(token.LicenseArn, claim.key), value: claim.value, expiresIn: IDEMPOTENCY_WINDOW_SECONDS },
      countedIn: liveOf(token.LicenseArn),
      limit: maxTokens,
      member: token.TokenId,
      record: { key: recordKey(token.LicenseArn, token.TokenId), value: JSON.stringify(stored) },
      ...(maxTokensOfPerson === undefined || token.person === undefined
        ? {} : { alsoCountedIn: { key: liveOfPerson(token.LicenseArn, token.person), limit: maxTokensOfPerson } }),
      expiresIn,
    });
    // Indices of a token that was never recorded would otherwise stay as long as a token would.
    if (inserted.outcome !== 'inserted') {
      await Promise.all([
        this.store.deleteValue(licenseOf(token.TokenId)),
        ...this.#listingsOf(token).map((listing) => this.store.removeFromSet(listing, token.TokenId)),
      ]);
    }
    return inserted;
  }

  async find(tokenId: string): Promise<LicenseTokenRecord | undefined> {
    const located = await this.#locate(tokenId);
    return 'stored' in located ? recordOf(located.stored) : undefined;
  }

  /**
   * The client's tokens still in the store; members whose token expired are dropped on the way,
   * never one still being recorded, which its client's deletion must still find.
   */
  async listForClient(clientId: string): Promise<LicenseTokenRecord[]> {
    const ids = await this.store.setMembers(byClient(clientId));
    const located = await Promise.all(ids.map((id) => this.#locate(id)));
    await Promise.all(ids.filter((_, i) => 'gone' in located[i]!).map((id) => this.store.removeFromSet(byClient(clientId), id)));
    return located.flatMap((token) => ('stored' in token ? [recordOf(token.stored)] : []));
  }

  /** Marks the client's token deleted and frees its place under the license's limits; false when the client has no such token. */
  async delete(tokenId: string, clientId: string): Promise<boolean> {
    const located = await this.#locate(tokenId);
    if (!('stored' in located) || located.stored.clientId !== clientId) return false;
    await this.#retire(located.stored);
    return true;
  }

  /** Ends a token as its person's account ending does: deleted, its places freed. */
  async retire(tokenId: string): Promise<void> {
    const located = await this.#locate(tokenId);
    if ('stored' in located) await this.#retire(located.stored);
  }

  /** Ends a token as its client's deletion does: retired, then forgotten with its client_token. */
  async forget(tokenId: string): Promise<void> {
    const located = await this.#locate(tokenId);
    if ('stored' in located) await this.#forget(located.stored);
  }

  /** Every token of a client that is deleted: a client made again under its id lists, exchanges, deletes and replays none of them. */
  async endTokensOfClient(clientId: string): Promise<void> {
    await this.#endEach(byClient(clientId), (stored) => this.#forget(stored));
  }

  /** Every token of a person whose account is disabled or deleted, at every client: listed DELETED, their seats free. */
  async endTokensOfPerson(person: string): Promise<void> {
    await this.#endEach(byPerson(person), (stored) => this.#retire(stored));
  }

  /** Every token of a license that is deleted: listed DELETED, and one made again under its ARN counts and exchanges none of them. */
  async endTokensOfLicense(licenseArn: string): Promise<void> {
    await this.#endEach(byLicense(licenseArn), (stored) => this.#retire(stored));
  }

  /**
   * Ends each token a listing names and unlists it. One still being recorded is left listed: the
   * request recording it checks, once it is recorded, that its client and person are still there.
   */
  async #endEach(listing: string, end: (stored: StoredToken) => Promise<void>): Promise<void> {
    const ids = await this.store.setMembers(listing);
    await Promise.all(ids.map(async (id) => {
      const located = await this.#locate(id);
      if ('pending' in located) return;
      if ('stored' in located) await end(located.stored);
      await this.store.removeFromSet(listing, id);
    }));
  }

  /**
   * Marks the record deleted, then frees its places under the license's limits. The record is
   * marked first: one cut off between the two steps no longer exchanges, and ending it again
   * frees its places.
   */
  async #retire(record: StoredToken): Promise<void> {
    const secondsLeft = Math.floor((Date.parse(record.ExpirationTime) - this.clock.now()) / 1000);
    if (record.Status === 'AVAILABLE' && secondsLeft > 0) {
      await this.store.setValue(recordKey(record.LicenseArn, record.TokenId), JSON.stringify({ ...record, Status: 'DELETED' }), secondsLeft);
    }
    await this.store.removeCounted(liveOf(record.LicenseArn), record.TokenId);
    if (record.person !== undefined) await this.store.removeCounted(liveOfPerson(record.LicenseArn, record.person), record.TokenId);
    await this.endsWith(recordOf(record));
  }

  /** Retires the token, then drops the index that finds it (it is gone at once), then its record and client_token. */
  async #forget(stored: StoredToken): Promise<void> {
    await this.#retire(stored);
    await this.store.deleteValue(licenseOf(stored.TokenId));
    await Promise.all([
      this.store.deleteValue(recordKey(stored.LicenseArn, stored.TokenId)),
      ...(stored.claimKey === undefined ? [] : [this.store.deleteValue(claimOf(stored.LicenseArn, stored.claimKey))]),
    ]);
  }

  async #locate(tokenId: string): Promise<Located> {
    const licenseArn = await this.store.getValue(licenseOf(tokenId));
    if (licenseArn === undefined) return { gone: true };
    const json = await this.store.getValue(recordKey(licenseArn, tokenId));
    return json === undefined ? { pending: true } : { stored: storedOf(json) };
  }

  #listingsOf(token: LicenseTokenRecord): string[] {
    return [byClient(token.clientId), byLicense(token.LicenseArn), ...(token.person === undefined ? [] : [byPerson(token.person)])];
  }
}
