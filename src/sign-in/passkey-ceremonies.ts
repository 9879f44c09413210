import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';

import type { FactorStore, FactorView, StoredPasskey } from '../accounts/factors/factor-store.js';
import type { ValueStore } from '../store/store.js';

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

const challengeKey = (binding: string) => `webauthn-challenge:${binding}`;

/**
 * The WebAuthn ceremonies (registering a passkey, signing in with one), each challenge bound to
 * what started it (a browser's session, a sign-in's interaction) and taken from the store once:
 * a response answers the challenge of its own binding only, and only once, on any instance.
 */
export class PasskeyCeremonies {
  constructor(
    private readonly store: ValueStore,
    private readonly factors: FactorStore,
    private readonly site: PasskeySite,
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
    });
    await this.store.setValue(challengeKey(binding), options.challenge, CEREMONY_SECONDS);
    return options;
  }

  /** Keeps the passkey the browser made, once its response answers this binding's challenge; undefined when it does not verify. */
  async register(binding: string, sub: string, responseJson: string | undefined, name: string): Promise<FactorView | undefined> {
    const challenge = await this.#takeChallenge(binding);
    if (challenge === undefined) return undefined;
    const verified = await verifyRegistrationResponse({
      response: parseJson(responseJson) as RegistrationResponseJSON,
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
    const options = await generateAuthenticationOptions({ rpID: this.site.rpId, userVerification: 'required', allowCredentials });
    await this.store.setValue(challengeKey(binding), options.challenge, CEREMONY_SECONDS);
    return options;
  }

  /**
   * Who signed in: the passkey's person (its user handle), when the response answers this
   * binding's challenge, signed by a passkey they hold, with user verification, and its counter
   * moved on. `sub`, when given, is the only person it may be.
   */
  async authenticate(binding: string, responseJson: string | undefined, sub?: string): Promise<PasskeyProof | undefined> {
    const challenge = await this.#takeChallenge(binding);
    const answer = parseJson(responseJson) as AuthenticationResponseJSON | undefined;
    if (typeof answer?.id !== 'string') return undefined;
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

  async #takeChallenge(binding: string): Promise<string | undefined> {
    const challenge = await this.store.getValue(challengeKey(binding));
    if (challenge === undefined) return undefined;
    return (await this.store.replaceValue(challengeKey(binding), challenge, undefined)) ? challenge : undefined;
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
