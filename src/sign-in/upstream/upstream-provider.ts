import * as oidc from 'openid-client';

import type { UpstreamProviderConfig } from '../../config/identity-providers.js';
import { MAX_OUTSIDE_DOCUMENT_BYTES, OUTSIDE_REQUEST_SECONDS, outsideFetch, ResponseTooLarge } from '../../http/outside-fetch.js';
import type { Logger } from '../../observability/logger.js';
import { Backoff } from '../../time/backoff.js';
import type { Clock } from '../../time/clock.js';

/** The longest a provider whose discovery failed is left alone: one that recovers is used again within this. */
const MAX_DISCOVERY_PAUSE_SECONDS = 30;

/** What the browser's round trip to the upstream must bring back, kept by stagepass until it does. */
export interface SignInChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** A sign-in through the upstream that did not succeed, with what to tell the person. */
export class UpstreamSignInError extends Error {
  override name = 'UpstreamSignInError';

  constructor(readonly status: 400 | 403 | 502 | 503, readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * One upstream OpenID Connect provider, with stagepass as its relying party (openid-client):
 * discovery in the background, then the authorization code flow with PKCE, state and nonce, the
 * ID token validated against the upstream's JWKS. Every request to the upstream goes through the
 * bounded fetch: 5 seconds and 1 MiB each, redirects not followed.
 */
export class UpstreamProvider {
  readonly #settings: UpstreamProviderConfig;
  readonly #logger: Logger;
  /** After a failed discovery, the provider is left alone for a pause: a click meanwhile is answered at once. */
  readonly #pause: Backoff;
  #discovered: oidc.Configuration | undefined;
  #discovering: Promise<oidc.Configuration> | undefined;

  /** `redirectUri` is stagepass's callback for this provider, registered with the upstream. */
  constructor(settings: UpstreamProviderConfig, readonly redirectUri: string, { logger, clock }: { logger: Logger; clock: Clock }) {
    this.#settings = settings;
    this.#logger = logger;
    this.#pause = new Backoff(clock, MAX_DISCOVERY_PAUSE_SECONDS);
  }

  get id(): string {
    return this.#settings.id;
  }

  get name(): string {
    return this.#settings.name;
  }

  get settings(): UpstreamProviderConfig {
    return this.#settings;
  }

  /** Starts discovery without waiting for it: an upstream that is down must not stop stagepass. */
  discoverInBackground(): void {
    this.#configuration().catch(() => undefined);
  }

  /** Where to send the browser, and the checks its return must pass. */
  async beginSignIn(): Promise<{ url: URL; checks: SignInChecks }> {
    const configuration = await this.#configuration();
    const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.#settings.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  /**
   * Redeems the code the browser brought back to `callbackQuery` and answers the person's claims:
   * the validated ID token's, then userinfo's where the upstream has it.
   */
  async finishSignIn(callbackQuery: string, checks: SignInChecks): Promise<Record<string, unknown>> {
    const configuration = await this.#configuration();
    const callback = new URL(this.redirectUri);
    callback.search = callbackQuery;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      const userinfo = configuration.serverMetadata().userinfo_endpoint
        ? await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub)
        : {};
      // How the person signed in is the ID token's word alone.
      return { ...idToken, ...userinfo, sub: idToken.sub, acr: idToken.acr, amr: idToken.amr };
    } catch (error) {
      throw this.#explain(error);
    }
  }

  async #configuration(): Promise<oidc.Configuration> {
    if (this.#discovered) return this.#discovered;
    if (!this.#discovering && this.#pause.secondsLeft() > 0) throw this.#unreachable();
    this.#discovering ??= this.#discover().finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  async #discover(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.#settings;
    const loopbackHttp = new URL(issuer).protocol === 'http:';
    try {
      this.#discovered = await oidc.discovery(new URL(issuer), clientId, { client_secret: clientSecret }, oidc.ClientSecretBasic(clientSecret), {
        timeout: OUTSIDE_REQUEST_SECONDS,
        [oidc.customFetch]: outsideFetch,
        // ID tokens are checked against the upstream's JWKS, not only trusted for arriving over TLS.
        execute: [oidc.enableNonRepudiationChecks, ...(loopbackHttp ? [oidc.allowInsecureRequests] : [])],
      });
      this.#pause.succeeded();
      this.#logger.info('upstream provider discovered', { provider: this.id, issuer });
      return this.#discovered;
    } catch (error) {
      this.#pause.failed();
      this.#logger.warn('upstream provider unreachable', { provider: this.id, issuer, error: describe(error), retryInSeconds: this.#pause.secondsLeft() });
      throw this.#unreachable(error);
    }
  }

  #unreachable(cause?: unknown): UpstreamSignInError {
    return new UpstreamSignInError(503, 'temporarily_unavailable', `${this.name} cannot be reached right now. Try again in a moment.`, { cause });
  }

  /** Whatever went wrong, the person gets a page saying what, never a server error. */
  #explain(error: unknown): UpstreamSignInError {
    const name = this.name;
    if (error instanceof oidc.AuthorizationResponseError) {
      return error.error === 'access_denied'
        ? new UpstreamSignInError(403, 'access_denied', `${name} did not sign you in: access was denied there.`, { cause: error })
        : new UpstreamSignInError(502, 'upstream_error', `${name} could not sign you in (it answered ${error.error}).`, { cause: error });
    }
    if (error instanceof oidc.ResponseBodyError) {
      return new UpstreamSignInError(400, 'invalid_grant', `${name} did not accept this sign-in (its code was forged, used already or expired). Start again from the application.`, { cause: error });
    }
    const chain = causes(error);
    if (chain.some(isUnreachable)) return this.#unreachable(error);
    this.#logger.warn('upstream sign-in refused', { provider: this.id, error: describe(error) });
    const why = chain.some((cause) => cause instanceof ResponseTooLarge)
      ? `answered with more than stagepass reads (${MAX_OUTSIDE_DOCUMENT_BYTES / 1024 / 1024} MiB)`
      : 'answered with a sign-in stagepass cannot accept (its ID token or userinfo failed validation)';
    return new UpstreamSignInError(502, 'invalid_upstream_response', `${name} ${why}.`, { cause: error });
  }
}

/** The error and what caused it, and what caused that: openid-client wraps what fetch throws. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = error; cause !== undefined && !chain.includes(cause); cause = (cause as { cause?: unknown } | null)?.cause) chain.push(cause);
  return chain;
}

/** A request that got no answer in time: refused, reset, timed out. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof DOMException) return error.name === 'TimeoutError' || error.name === 'AbortError';
  return error instanceof TypeError && error.message === 'fetch failed';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause instanceof Error ? `${message}: ${cause.message}` : message;
}
