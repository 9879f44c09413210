import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { ACR_MFA, ACR_PASSWORD, ACR_PHISHING_RESISTANT, type Acr } from '../authentication-context.js';
import { openSecret, sealSecret, type SealedKey } from '../../keys/key-encryption.js';
import type { ValueStore } from '../../store/store.js';
import type { Clock } from '../../time/clock.js';
import { newTotpSecret, totpStepOf } from './totp.js';

/** A WebAuthn credential a person registered, as verifying its assertions needs it. */
export interface StoredPasskey {
  id: string;
  /** The credential's id, base64url, as the browser names it. */
  credentialId: string;
  publicKey: string;
  /** The authenticator's signature counter; 0 for those that keep none (synced passkeys). */
  counter: number;
  transports: string[];
  /** `multiDevice`: a synced passkey (software-held, `swk`); `singleDevice`: bound to one authenticator (`hwk`). */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: number;
  lastUsedAt?: number;
}

interface StoredTotp {
  id: string;
  /** The base32 secret, sealed under the key-encryption key and bound to the account. */
  sealed: SealedKey;
  /** The latest time step a code was accepted for: a code of that step or an earlier one is a replay. */
  lastStep: number;
  createdAt: number;
  lastUsedAt?: number;
}

interface StoredRecoveryCodes {
  id: string;
  /** SHA-256 of each code not used yet; the codes themselves are shown once and kept nowhere. */
  unused: string[];
  createdAt: number;
  lastUsedAt?: number;
}

interface FactorRecord {
  passkeys: StoredPasskey[];
  totp?: StoredTotp;
  recoveryCodes?: StoredRecoveryCodes;
}

export type FactorType = 'passkey' | 'totp' | 'recovery_codes';

/** A factor as the person and the operator see it: never a secret. */
export interface FactorView {
  id: string;
  type: FactorType;
  name: string;
  created: string;
  last_used: string | null;
  /** Recovery codes not used yet. */
  remaining?: number;
}

export type TotpCheck = 'accepted' | 'wrong' | 'replayed' | 'none';

/** A passkey as registration verified it, before it has an id and a name. */
export type NewPasskey = Omit<StoredPasskey, 'id' | 'createdAt' | 'lastUsedAt'>;

const RECOVERY_CODES = 10;
/** Seconds a person has to confirm an authenticator app with its first code. */
const TOTP_SETUP_SECONDS = 10 * 60;
/** Of writes racing on one person's record, each is tried again from what it reads; this many tries is past any real race. */
const MAX_TRIES = 20;

const recordKey = (sub: string) => `factors:${sub}`;
const setupKey = (sub: string) => `factors-totp-setup:${sub}`;
const totpBinding = (sub: string) => `totp:${sub}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const newId = () => randomBytes(9).toString('base64url');

/**
 * The second factors of every person: passkeys, an authenticator app and recovery codes, one
 * record per person in the store. Every change is a compare-and-set of that record from what was
 * read, so of two instances accepting one authenticator code or one recovery code at once exactly
 * one does, and a change never undoes another; the record is one key, one hash slot on a cluster.
 */
export class FactorStore {
  constructor(
    private readonly store: ValueStore,
    private readonly encryptionKey: Buffer,
    private readonly clock: Clock,
  ) {}

  async list(sub: string): Promise<FactorView[]> {
    const { passkeys, totp, recoveryCodes } = (await this.#read(sub)).record;
    return [
      ...passkeys.map((passkey) => view(passkey.id, 'passkey', passkey.name, passkey)),
      ...(totp ? [view(totp.id, 'totp', 'Authenticator app', totp)] : []),
      ...(recoveryCodes ? [{ ...view(recoveryCodes.id, 'recovery_codes', 'Recovery codes', recoveryCodes), remaining: recoveryCodes.unused.length }] : []),
    ];
  }

  /** Whether the person has a factor that proves a second step on its own (a passkey or an app; recovery codes only stand in for them). */
  async hasSecondFactor(sub: string): Promise<boolean> {
    const { passkeys, totp } = (await this.#read(sub)).record;
    return passkeys.length > 0 || totp !== undefined;
  }

  /** The strongest sign-in the person's factors can give: a passkey's, a code's, or a password's alone. */
  async strongestAcr(sub: string): Promise<Acr> {
    const { passkeys, totp, recoveryCodes } = (await this.#read(sub)).record;
    if (passkeys.length > 0) return ACR_PHISHING_RESISTANT;
    return totp || recoveryCodes?.unused.length ? ACR_MFA : ACR_PASSWORD;
  }

  async passkeys(sub: string): Promise<StoredPasskey[]> {
    return (await this.#read(sub)).record.passkeys;
  }

  async addPasskey(sub: string, passkey: NewPasskey): Promise<FactorView> {
    const stored: StoredPasskey = { ...passkey, id: newId(), createdAt: this.clock.now() };
    await this.#update(sub, (record) => ({ ...record, passkeys: [...record.passkeys.filter((p) => p.credentialId !== passkey.credentialId), stored] }));
    return view(stored.id, 'passkey', stored.name, stored);
  }

  /** False when the person has no passkey by that id. */
  async renamePasskey(sub: string, id: string, name: string): Promise<boolean> {
    return this.#update(sub, (record) => (record.passkeys.some((p) => p.id === id)
      ? { ...record, passkeys: record.passkeys.map((p) => (p.id === id ? { ...p, name } : p)) }
      : undefined));
  }

  /**
   * Notes a verified use of the passkey: its new counter and backup state. Refused (false) when
   * the counter went backwards or stood still since it was read, for an authenticator that counts:
   * the signature was made by a copy of the key, or replayed.
   */
  async usedPasskey(sub: string, credentialId: string, { counter, backedUp }: { counter: number; backedUp: boolean }): Promise<boolean> {
    return this.#update(sub, (record) => {
      const passkey = record.passkeys.find((p) => p.credentialId === credentialId);
      if (!passkey || ((counter > 0 || passkey.counter > 0) && counter <= passkey.counter)) return undefined;
      const used = { ...passkey, counter, backedUp, lastUsedAt: this.clock.now() };
      return { ...record, passkeys: record.passkeys.map((p) => (p === passkey ? used : p)) };
    });
  }

  /** A new authenticator app secret (base32) for the person to add to their app; it counts once confirmed with a code. */
  async beginTotp(sub: string): Promise<string> {
    const secret = newTotpSecret();
    await this.store.setValue(setupKey(sub), JSON.stringify(sealSecret(secret, totpBinding(sub), this.encryptionKey)), TOTP_SETUP_SECONDS);
    return secret;
  }

  /** The app being set up, confirmed by a code of it: it replaces the one the person had. */
  async confirmTotp(sub: string, code: string): Promise<FactorView | undefined> {
    const pending = await this.store.getValue(setupKey(sub));
    const sealed = pending === undefined ? undefined : (JSON.parse(pending) as SealedKey);
    const secret = sealed && openSecret(sealed, totpBinding(sub), this.encryptionKey);
    const step = secret === undefined ? undefined : totpStepOf(secret, code, this.clock.now());
    if (step === undefined || !(await this.store.replaceValue(setupKey(sub), pending, undefined))) return undefined;
    const totp: StoredTotp = { id: newId(), sealed: sealed!, lastStep: step, createdAt: this.clock.now() };
    await this.#update(sub, (record) => ({ ...record, totp }));
    return view(totp.id, 'totp', 'Authenticator app', totp);
  }

  /** Checks an authenticator code: a code is accepted once, and none of an earlier step after it. */
  async useTotp(sub: string, code: string): Promise<TotpCheck> {
    let outcome: TotpCheck = 'none';
    await this.#update(sub, (record) => {
      const judged = this.#judgeTotp(sub, record.totp, code);
      outcome = judged.outcome;
      if (judged.outcome !== 'accepted') return undefined;
      return { ...record, totp: { ...record.totp!, lastStep: judged.step, lastUsedAt: this.clock.now() } };
    });
    return outcome;
  }

  /** What a code is for the person's app: the step it belongs to, when it is accepted. */
  #judgeTotp(sub: string, totp: StoredTotp | undefined, code: string): { outcome: Exclude<TotpCheck, 'accepted'> } | { outcome: 'accepted'; step: number } {
    const secret = totp && openSecret(totp.sealed, totpBinding(sub), this.encryptionKey);
    if (!totp || secret === undefined) return { outcome: 'none' };
    const step = totpStepOf(secret, code, this.clock.now());
    if (step === undefined) return { outcome: 'wrong' };
    return step <= totp.lastStep ? { outcome: 'replayed' } : { outcome: 'accepted', step };
  }

  /** Ten new recovery codes, replacing any the person had; shown to them once, kept only as hashes. */
  async replaceRecoveryCodes(sub: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    const recoveryCodes: StoredRecoveryCodes = { id: newId(), unused: codes.map((code) => sha256(normalRecoveryCode(code))), createdAt: this.clock.now() };
    await this.#update(sub, (record) => ({ ...record, recoveryCodes }));
    return codes;
  }

  /** Uses up a recovery code: true once for each code, ever. */
  async useRecoveryCode(sub: string, code: string): Promise<boolean> {
    const given = Buffer.from(sha256(normalRecoveryCode(code)));
    return this.#update(sub, (record) => {
      const codes = record.recoveryCodes;
      const match = codes?.unused.find((hash) => timingSafeEqual(Buffer.from(hash), given));
      if (!codes || match === undefined) return undefined;
      return { ...record, recoveryCodes: { ...codes, unused: codes.unused.filter((hash) => hash !== match), lastUsedAt: this.clock.now() } };
    });
  }

  /** Removes a factor by its id; the one removed, or undefined when the person has none by that id. */
  async remove(sub: string, id: string): Promise<FactorView | undefined> {
    const removed = (await this.list(sub)).find((factor) => factor.id === id);
    if (!removed) return undefined;
    const done = await this.#update(sub, (record) => {
      if (record.totp?.id === id) return { ...record, totp: undefined };
      if (record.recoveryCodes?.id === id) return { ...record, recoveryCodes: undefined };
      const passkeys = record.passkeys.filter((p) => p.id !== id);
      return passkeys.length === record.passkeys.length ? undefined : { ...record, passkeys };
    });
    return done ? removed : undefined;
  }

  /** Forgets every factor of the person (their account is deleted). */
  async forget(sub: string): Promise<void> {
    await Promise.all([this.store.deleteValue(recordKey(sub)), this.store.deleteValue(setupKey(sub))]);
  }

  async #read(sub: string): Promise<{ record: FactorRecord; text: string | undefined }> {
    const text = await this.store.getValue(recordKey(sub));
    return { record: text === undefined ? { passkeys: [] } : (JSON.parse(text) as FactorRecord), text };
  }

  /** Writes `change`'s record from the one read, again from a fresh read when another write came between; false when `change` declines. */
  async #update(sub: string, change: (record: FactorRecord) => FactorRecord | undefined): Promise<boolean> {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const { record, text } = await this.#read(sub);
      const next = change(record);
      if (next === undefined) return false;
      if (await this.store.replaceValue(recordKey(sub), text, JSON.stringify(next))) return true;
    }
    throw new Error(`the factors of ${sub} kept changing under ${MAX_TRIES} tries to write them`);
  }
}

function view(id: string, type: FactorType, name: string, { createdAt, lastUsedAt }: { createdAt: number; lastUsedAt?: number }): FactorView {
  return { id, type, name, created: new Date(createdAt).toISOString(), last_used: lastUsedAt === undefined ? null : new Date(lastUsedAt).toISOString() };
}

/** Four groups of four base32 letters and digits: 80 bits, so their SHA-256 needs no salt or stretching. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const chars = [...randomBytes(16)].map((byte) => alphabet[byte & 31]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** A recovery code as typed: case, spaces and dashes do not matter. */
function normalRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
