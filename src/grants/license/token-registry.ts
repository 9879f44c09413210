import { inGroup } from '../../store/keys.js';
import type { CountedInsertOutcome, Store } from '../../store/store.js';
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
}

/** A token as ListTokens shows it: neither whose it is nor the token itself. */
export type ListedLicenseToken = Omit<LicenseTokenRecord, 'clientId' | 'person'>;

export function listedToken({ clientId: _client, person: _person, ...listed }: LicenseTokenRecord): ListedLicenseToken {
  return listed;
}

/**
 * A license's token records, its live tokens (counted against its maxTokens) and its client_token
 * claims are written in one atomic step, so they are keys of the license's group. A token's
 * license and a client's listing are indices of their own, written before that step: left behind
 * by a refused or cut-off insert, they point at no record and are skipped.
 */
const recordKey = (licenseArn: string, tokenId: string) => inGroup(licenseArn, `license-token:${tokenId}`);
const liveOf = (licenseArn: string) => inGroup(licenseArn, 'license-live-tokens');
/** A person's live tokens of the license, counted against its maxTokensPerPerson in the same step. */
const liveOfPerson = (licenseArn: string, person: string) => inGroup(licenseArn, `license-live-tokens-of:${person}`);
const claimOf = (licenseArn: string, claimKey: string) => inGroup(licenseArn, claimKey);
const licenseOf = (tokenId: string) => `license-of-token:${tokenId}`;
const byClient = (clientId: string) => `license-tokens-of-client:${clientId}`;

/**
 * The license refresh tokens issued, kept in the store until they expire. A deleted token stays
 * listed as DELETED until then, as ListTokens shows it, but no longer counts or exchanges.
 */
export class LicenseTokenRegistry {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

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
      this.store.addToSet(byClient(token.clientId), token.TokenId, expiresIn),
    ]);
    const inserted = await this.store.insertCounted({
      claim: { key: claimOf(token.LicenseArn, claim.key), value: claim.value, expiresIn: IDEMPOTENCY_WINDOW_SECONDS },
      countedIn: liveOf(token.LicenseArn),
      limit: maxTokens,
      member: token.TokenId,
      record: { key: recordKey(token.LicenseArn, token.TokenId), value: JSON.stringify(token) },
      ...(maxTokensOfPerson === undefined || token.person === undefined
        ? {} : { alsoCountedIn: { key: liveOfPerson(token.LicenseArn, token.person), limit: maxTokensOfPerson } }),
      expiresIn,
    });
    // Indices of a token that was never recorded would otherwise stay as long as a token would.
    if (inserted.outcome !== 'inserted') {
      await Promise.all([this.store.deleteValue(licenseOf(token.TokenId)), this.store.removeFromSet(byClient(token.clientId), token.TokenId)]);
    }
    return inserted;
  }

  async find(tokenId: string): Promise<LicenseTokenRecord | undefined> {
    const licenseArn = await this.store.getValue(licenseOf(tokenId));
    const json = licenseArn === undefined ? undefined : await this.store.getValue(recordKey(licenseArn, tokenId));
    return json === undefined ? undefined : (JSON.parse(json) as LicenseTokenRecord);
  }

  /** The client's tokens still in the store; members whose record expired are dropped on the way. */
  async listForClient(clientId: string): Promise<LicenseTokenRecord[]> {
    const ids = await this.store.setMembers(byClient(clientId));
    const records = await Promise.all(ids.map((id) => this.find(id)));
    await Promise.all(ids.filter((_, i) => records[i] === undefined).map((id) => this.store.removeFromSet(byClient(clientId), id)));
    return records.filter((record): record is LicenseTokenRecord => record !== undefined);
  }

  /**
   * Marks the client's token deleted and frees its place under the license's limits; false when the
   * client has no such token. The record is marked first: a delete cut off between the two steps
   * leaves a token that no longer exchanges, and deleting it again frees its place.
   */
  async delete(tokenId: string, clientId: string): Promise<boolean> {
    const record = await this.find(tokenId);
    if (!record || record.clientId !== clientId) return false;
    const secondsLeft = Math.floor((Date.parse(record.ExpirationTime) - this.clock.now()) / 1000);
    if (record.Status === 'AVAILABLE' && secondsLeft > 0) {
      await this.store.setValue(recordKey(record.LicenseArn, tokenId), JSON.stringify({ ...record, Status: 'DELETED' }), secondsLeft);
    }
    await this.store.removeCounted(liveOf(record.LicenseArn), tokenId);
    if (record.person !== undefined) await this.store.removeCounted(liveOfPerson(record.LicenseArn, record.person), tokenId);
    return true;
  }
}
