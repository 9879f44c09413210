import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';

import { OUTSIDE_REQUEST_SECONDS, outsideFetch } from '../http/outside-fetch.js';
import { isHttpsOrLoopback } from '../http/outside-urls.js';
import { Backoff } from '../time/backoff.js';
import type { Clock } from '../time/clock.js';

/** The issuer's keys cannot be had now (its JWKS or discovery does not answer, or answers what cannot be used); the request may be retried. */
export class IssuerKeysUnavailable extends Error {
  override name = 'IssuerKeysUnavailable';
}

/** A key the issuer adds is looked for at most this often, so unknown `kid`s cannot make us hammer its JWKS. */
const JWKS_REFETCH_SECONDS = 30;
/** The longest an issuer whose keys failed is left alone: one that recovers is used again within this. */
const MAX_PAUSE_SECONDS = 30;

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * One trusted issuer's signing keys, from its JWKS: at `jwksUri`, or where its discovery document
 * says, found at the first token and again once that JWKS fails (keys that moved are found where
 * they went). A JWKS or discovery document that fails, or answers what cannot be used, makes the
 * issuer unavailable rather than its tokens invalid, and is left alone for a pause (1 s, doubling
 * up to 30 s) during which tokens of the issuer are answered at once.
 */
export class IssuerKeys {
  readonly #issuer: { id: string; issuer: string; jwksUri?: string };
  readonly #pause: Backoff;
  #keySet: Promise<RemoteKeySet> | undefined;

  constructor(issuer: { id: string; issuer: string; jwksUri?: string }, clock: Clock) {
    this.#issuer = issuer;
    this.#pause = new Backoff(clock, MAX_PAUSE_SECONDS);
  }

  /** The key a token names, for jose's jwtVerify. */
  readonly lookup: JWTVerifyGetKey = async (header, token) => {
    const { id, jwksUri } = this.#issuer;
    const wait = this.#pause.secondsLeft();
    if (wait > 0) throw new IssuerKeysUnavailable(`the keys of issuer ${id} could not be fetched; they are asked for again in ${wait} s`);
    try {
      const key = await (await (this.#keySet ??= this.#open()))(header, token);
      this.#pause.succeeded();
      return key;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        this.#pause.succeeded();
        throw error;
      }
      this.#pause.failed();
      if (!jwksUri) this.#keySet = undefined;
      throw new IssuerKeysUnavailable(`the keys of issuer ${id} cannot be fetched now (${(error as Error).message})`, { cause: error });
    }
  };

  async #open(): Promise<RemoteKeySet> {
    const uri = this.#issuer.jwksUri ?? (await this.#discoveredJwksUri());
    return createRemoteJWKSet(new URL(uri), {
      cooldownDuration: JWKS_REFETCH_SECONDS * 1000,
      timeoutDuration: OUTSIDE_REQUEST_SECONDS * 1000,
      [customFetch]: outsideFetch,
    });
  }

  /**
   * The `jwks_uri` of the issuer's discovery document, held to the rule a configured `jwksUri` is
   * held to (https:, http: only on loopback), and plain http only for an issuer that is itself on
   * loopback: a document cannot send stagepass to fetch keys where the configuration could not.
   */
  async #discoveredJwksUri(): Promise<string> {
    const { issuer } = this.#issuer;
    const response = await outsideFetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`its discovery document answered ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown } | null;
    if (document?.issuer !== issuer) throw new Error('its discovery document names another issuer');
    const jwksUri = typeof document.jwks_uri === 'string' && URL.canParse(document.jwks_uri) ? new URL(document.jwks_uri) : undefined;
    const plainHttpAllowed = new URL(issuer).protocol === 'http:';
    if (!jwksUri || !isHttpsOrLoopback(jwksUri) || (jwksUri.protocol === 'http:' && !plainHttpAllowed)) {
      throw new Error('its discovery document names no jwks_uri over https: (http: only on loopback, for an issuer on loopback)');
    }
    return jwksUri.href;
  }
}
