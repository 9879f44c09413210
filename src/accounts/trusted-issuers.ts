import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';

import type { Clock } from '../time/clock.js';
import { IssuerKeys, IssuerKeysUnavailable } from './issuer-keys.js';
import { subjectProblem } from './subject.js';
import { groupsFromClaim } from './upstream-groups.js';

export { IssuerKeysUnavailable };

/** A trusted issuer, as the configuration's `trustedIssuers` describes it. */
export interface TrustedIssuerConfig {
  id: string;
  issuer: string;
  audience: string;
  jwksUri?: string;
  groupsClaim: string;
  groupMap?: Readonly<Record<string, string>>;
  algorithms: string[];
  clients?: string[];
  maxTokenAgeSeconds: number;
}

/** A token that fails a check, named by the check: what the caller is told. */
export class ExternalTokenRefused extends Error {
  override name = 'ExternalTokenRefused';
}

/** Someone vouched for by a trusted issuer: `<id>:<sub>`, with the stagepass groups their token gives. */
export interface ExternalPerson {
  id: string;
  groups: string[];
}

/** Leeway for clocks that disagree, on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * JWTs of the identity providers the configuration trusts (RFC 8693 subject tokens of type jwt or
 * id_token): a backend whose users sign in elsewhere, or a public app holding its own IdP's token,
 * mints for that person. The issuer is picked by the token's `iss`, exactly; its keys come from its
 * JWKS (IssuerKeys).
 */
export class TrustedIssuers {
  readonly #byIssuer: ReadonlyMap<string, TrustedIssuerConfig>;
  readonly #keys: ReadonlyMap<string, IssuerKeys>;

  constructor(issuers: readonly TrustedIssuerConfig[], clock: Clock) {
    this.#byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
    this.#keys = new Map(issuers.map((issuer) => [issuer.id, new IssuerKeys(issuer, clock)]));
  }

  get configured(): boolean {
    return this.#byIssuer.size > 0;
  }

  /** Whether `sub` names a person of a configured issuer (`<id>:…`), whom only that issuer vouches for. */
  vouchesFor(sub: string): boolean {
    return [...this.#byIssuer.values()].some(({ id }) => sub.startsWith(`${id}:`));
  }

  async verify(token: string, clientId: string): Promise<ExternalPerson> {
    const trusted = this.#issuerOf(token);
    if (trusted.clients && !trusted.clients.includes(clientId)) {
      throw new ExternalTokenRefused(`subject_token of issuer ${trusted.id} may not be presented by client ${clientId}`);
    }
    const payload = await this.#verified(token, trusted);
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new ExternalTokenRefused('subject_token names no subject (sub)');
    const problem = subjectProblem(payload.sub);
    if (problem !== undefined) throw new ExternalTokenRefused(`subject_token's sub ${problem}`);
    return { id: `${trusted.id}:${payload.sub}`, groups: groupsFromClaim(payload[trusted.groupsClaim], trusted.groupMap) };
  }

  #issuerOf(token: string): TrustedIssuerConfig {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new ExternalTokenRefused('subject_token is not a JWT');
    }
    const trusted = typeof issuer === 'string' ? this.#byIssuer.get(issuer) : undefined;
    if (!trusted) throw new ExternalTokenRefused('subject_token is not from a trusted issuer (iss)');
    return trusted;
  }

  async #verified(token: string, trusted: TrustedIssuerConfig): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.#keys.get(trusted.id)!.lookup, {
        issuer: trusted.issuer,
        audience: trusted.audience,
        algorithms: trusted.algorithms,
        requiredClaims: ['exp'],
        maxTokenAge: trusted.maxTokenAgeSeconds,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return payload;
    } catch (error) {
      throw refusalOf(error);
    }
  }
}

/** jose's error as the check that failed, or the issuer's keys being out of reach. */
function refusalOf(error: unknown): Error {
  if (error instanceof IssuerKeysUnavailable) return error;
  // jose reports a token older than maxTokenAge as expired too, naming iat.
  if (error instanceof errors.JWTExpired && error.claim === 'iat') return new ExternalTokenRefused('subject_token is too old (iat)');
  if (error instanceof errors.JWTExpired) return new ExternalTokenRefused('subject_token has expired (exp)');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const checks: Record<string, string> = {
      aud: 'subject_token is not meant for this server (aud)',
      iss: 'subject_token is not from a trusted issuer (iss)',
      exp: 'subject_token must have an expiry (exp)',
      iat: 'subject_token is too old or has no issue time (iat)',
      nbf: 'subject_token is not valid yet (nbf)',
    };
    return new ExternalTokenRefused(checks[error.claim] ?? `subject_token fails the ${error.claim} check`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new ExternalTokenRefused('subject_token is signed with an algorithm this issuer may not use (alg)');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new ExternalTokenRefused('subject_token has no valid signature of its issuer');
  }
  if (error instanceof errors.JOSEError) return new ExternalTokenRefused('subject_token is not a valid JWT');
  return new IssuerKeysUnavailable('the issuer\'s keys cannot be fetched now');
}
