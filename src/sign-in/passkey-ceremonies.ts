import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';

import type { FactorStore, FactorView, StoredPasskey } from '../accounts/factors/factor-store.js';
import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';

/** Seconds a person has to answer their authenticator. */
const CEREMONY_SECONDS = 5 * 60;

/** Where a passkey may be used: the relying party id it is made for, and the pages' origins. */
export interface PasskeySite {
  rpId: string;
  origins: string[];
}

export function passkeySite(issuer: string, configured: { rpId?: string; origins?: string[] }): PasskeySite {
  return { rpId: configured.rpId ?? new URL(issuer).hostname, origins: configured.origins ?? [issuer] };
}

/** A passkey sign-in that verified: who, with which passkey. */
export interface PasskeyProof {
  sub: string;
  passkey: StoredPasskey;
}

const usedKey = (challenge: string) => `webauthn-challenge-used:${challenge}`;
const NONCE_BYTES = 16;
const MAC_BYTES = 16;

/**
 * The WebAuthn ceremonies (registering a passkey, signing in with one), each challenge bound to
 * what started it (a browser's session, a sign-in's interaction) and used once: a response
 * answers a challenge of its own binding only, made within the last 5 minutes, and only once, on
 * any instance. A challenge carries its own proof (an HMAC of the binding, its nonce and its time
 * under a secret every instance shares), so drawing a sign-in page writes nothing; the store
 * notes a challenge only when it is answered.
 */
export class PasskeyCeremonies {
  constructor(
    private readonly store: ValueStore,
    private readonly factors: FactorStore,
    private readonly site: PasskeySite,
    /** Keys the challenges' HMAC; the cookie keys serve, being secret and shared by instances. */
    private readonly secret: string,
    private readonly clock: Clock,
  ) {}

  /** What the browser asks the authenticator to make: a resident key, user verification required, one the person does not hold yet. */
  async registrationOptions(binding: string, person: { sub: string; username: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await generateRegistrationOptions({
      rpName: 'stagepass',
      rpID: this.site.rpId,
      userName: person.username,
      // What a discoverable credential gives back at sign-in (its user handle): who it is for.
      userID: new TextEncoder().encode(person.sub),
      attestationType: 'none',
      excludeCredentials: (await this.factors.passkeys(person.sub)).map(({ credentialId, transports }) => ({ id: credentialId, transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      challenge: this.#newChallenge(binding),
    });
    return options;
  }

  /** Keeps the passkey the browser made, once its response answers this binding's challenge; undefined when it does not verify. */
  async register(binding: string, sub: string, responseJson: string | undefined, name: string): Promise<FactorView | undefined> {
    const response = parseJson(responseJson) as RegistrationResponseJSON | undefined;
    const challenge = await this.#takeChallenge(binding, response?.response?.clientDataJSON);
    if (challenge === undefined) return undefined;
    const verified = await verifyRegistrationResponse({
      response: response!,
      expectedChallenge: challenge,
      expectedOrigin: this.site.origins,
      expectedRPID: this.site.rpId,
      requireUserVerification: true,
    }).catch(() => undefined);
    if (!verified?.verified) return undefined;
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    return this.factors.addPasskey(sub, {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name,
    });
  }

  /** What the browser asks for at sign-in: any of this site's passkeys (discoverable), or one of `sub`'s. */
  async authenticationOptions(binding: string, sub?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowCredentials = sub === undefined ? undefined
      : (await this.factors.passkeys(sub)).map(({ credentialId, transports }) => ({ id: credentialId, transports }));
    return generateAuthenticationOptions({ rpID: this.site.rpId, userVerification: 'required', allowCredentials, challenge: this.#newChallenge(binding) });
  }

  /**
   * Who signed in: the passkey's person (its user handle), when the response answers this
   * binding's challenge, signed by a passkey they hold, with user verification, and its counter
   * moved on. `sub`, when given, is the only person it may be.
   */
  async authenticate(binding: string, responseJson: string | undefined, sub?: string): Promise<PasskeyProof | undefined> {
    const answer = parseJson(responseJson) as AuthenticationResponseJSON | undefined;
    if (typeof answer?.id !== 'string') return undefined;
    const challenge = await this.#takeChallenge(binding, answer.response?.clientDataJSON);
    const owner = typeof answer.response?.userHandle === 'string' ? Buffer.from(answer.response.userHandle, 'base64url').toString('utf8') : sub;
    if (challenge === undefined || owner === undefined || (sub !== undefined && owner !== sub)) return undefined;
    const passkey = (await this.factors.passkeys(owner)).find(({ credentialId }) => credentialId === answer.id);
    if (!passkey) return undefined;
    const verified = await verifyAuthenticationResponse({
      response: answer,
      expectedChallenge: challenge,
      expectedOrigin: this.site.origins,
      expectedRPID: this.site.rpId,
      credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: true,
    }).catch(() => undefined);
    if (!verified?.verified) return undefined;
    const { newCounter, credentialBackedUp } = verified.authenticationInfo;
    if (!(await this.factors.usedPasskey(owner, passkey.credentialId, { counter: newCounter, backedUp: credentialBackedUp }))) return undefined;
    return { sub: owner, passkey };
  }

  /** A challenge for `binding`: a nonce and the time, with their HMAC (the options carry it in base64url). */
  #newChallenge(binding: string): Uint8Array<ArrayBuffer> {
    const nonce = randomBytes(NONCE_BYTES);
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(this.clock.now()));
    return new Uint8Array(Buffer.concat([nonce, time, this.#mac(binding, nonce, time)]));
  }

  #mac(binding: string, nonce: Buffer, time: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(binding).update(nonce).update(time).digest().subarray(0, MAC_BYTES);
  }

  /**
   * The challenge the browser signed (read from its client data; the signature check then holds
   * it to that), when it is one of ours for `binding`, fresh, and answered for the first time.
   */
  async #takeChallenge(binding: string, clientDataJson: unknown): Promise<string | undefined> {
    if (typeof clientDataJson !== 'string') return undefined;
    const challenge = (parseJson(Buffer.from(clientDataJson, 'base64url').toString('utf8')) as { challenge?: unknown } | undefined)?.challenge;
    if (typeof challenge !== 'string') return undefined;
    const bytes = Buffer.from(challenge, 'base64url');
    if (bytes.length !== NONCE_BYTES + 8 + MAC_BYTES) return undefined;
    const [nonce, time, mac] = [bytes.subarray(0, NONCE_BYTES), bytes.subarray(NONCE_BYTES, NONCE_BYTES + 8), bytes.subarray(NONCE_BYTES + 8)];
    const age = this.clock.now() - Number(time.readBigUInt64BE());
    if (!timingSafeEqual(mac, this.#mac(binding, nonce, time)) || age < 0 || age > CEREMONY_SECONDS * 1000) return undefined;
    // Of two answers to one challenge, on any instances, the one that notes it first goes on.
    return (await this.store.replaceValue(usedKey(challenge), undefined, '1', CEREMONY_SECONDS)) ? challenge : undefined;
  }
}

/** The browser's answer, as the page's form carries it (JSON text); undefined when it is not JSON. */
function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}
