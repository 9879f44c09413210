import type { Store } from '../../store/store.js';

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
  subject: string;
}

const recordKey = (tokenId: string) => `license-token:${tokenId}`;
const byClient = (clientId: string) => `license-tokens-of-client:${clientId}`;
const byLicense = (licenseArn: string) => `license-tokens-of-license:${licenseArn}`;

/**
 * The license refresh tokens issued, kept in the store until they expire. A deleted token stays
 * listed as DELETED until then, as ListTokens shows it, but no longer counts or exchanges.
 */
export class LicenseTokenRegistry {
  constructor(private readonly store: Store) {}

  async record(token: LicenseTokenRecord, expiresIn: number): Promise<void> {
    await this.store.setValue(recordKey(token.TokenId), JSON.stringify(token), expiresIn);
    await Promise.all([
      this.store.addToSet(byClient(token.clientId), token.TokenId, expiresIn),
      this.store.addToSet(byLicense(token.LicenseArn), token.TokenId, expiresIn),
    ]);
  }

  /**
   * Records the token only if its license stays within `maxTokens` live tokens. The token is
   * recorded first and counted after, and withdrawn when that overshoots: requests racing on any
   * instances may all be refused near the limit, but together they never exceed it.
   */
  async recordWithinLimit(token: LicenseTokenRecord, expiresIn: number, maxTokens: number): Promise<boolean> {
    await this.record(token, expiresIn);
    if ((await this.countAvailable(token.LicenseArn)) <= maxTokens) return true;
    await Promise.all([
      this.store.removeFromSet(byLicense(token.LicenseArn), token.TokenId),
      this.store.removeFromSet(byClient(token.clientId), token.TokenId),
      this.store.deleteValue(recordKey(token.TokenId)),
    ]);
    return false;
  }

  async find(tokenId: string): Promise<LicenseTokenRecord | undefined> {
    const json = await this.store.getValue(recordKey(tokenId));
    return json === undefined ? undefined : (JSON.parse(json) as LicenseTokenRecord);
  }

  async listForClient(clientId: string): Promise<LicenseTokenRecord[]> {
    return this.#liveRecords(byClient(clientId));
  }

  async countAvailable(licenseArn: string): Promise<number> {
    const records = await this.#liveRecords(byLicense(licenseArn));
    return records.filter((record) => record.Status === 'AVAILABLE').length;
  }

  /** Marks the client's token deleted; false when the client has no such token. */
  async delete(tokenId: string, clientId: string): Promise<boolean> {
    const record = await this.find(tokenId);
    if (!record || record.clientId !== clientId) return false;
    const secondsLeft = Math.floor((Date.parse(record.ExpirationTime) - Date.now()) / 1000);
    if (secondsLeft > 0) await this.store.setValue(recordKey(tokenId), JSON.stringify({ ...record, Status: 'DELETED' }), secondsLeft);
    await this.store.removeFromSet(byLicense(record.LicenseArn), tokenId);
    return true;
  }

  /** Records behind a registry set; members whose record expired are dropped from the set on the way. */
  async #liveRecords(setKey: string): Promise<LicenseTokenRecord[]> {
    const ids = await this.store.setMembers(setKey);
    const records = await Promise.all(ids.map((id) => this.find(id)));
    await Promise.all(ids.filter((_, i) => records[i] === undefined).map((id) => this.store.removeFromSet(setKey, id)));
    return records.filter((record): record is LicenseTokenRecord => record !== undefined);
  }
}
