import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { errors, type Provider } from 'oidc-provider';

import type { UpstreamAccounts } from '../accounts/upstream-accounts.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { withStatus } from '../http/with-status.js';
import type { Audit } from '../observability/audit.js';
import type { ValueStore } from '../store/store.js';
import { type Clock, epochSeconds, oidcProviderClock } from '../time/clock.js';
import { upstreamPerson, upstreamSignInContext } from './upstream/upstream-person.js';
import { type SignInChecks, type UpstreamProvider, UpstreamSignInError } from './upstream/upstream-provider.js';
import { type Interactions, renderErrorsAsPage } from './interaction.js';

/** Seconds a person has at the upstream before their return is no longer expected. */
const PENDING_SIGN_IN_SECONDS = 10 * 60;

/** A sign-in sent to the upstream, found again by its `state` when the browser returns. */
interface PendingSignIn extends SignInChecks {
  provider: string;
  interactionUid: string;
  /** SHA-256 of the secret in the cookie of the browser that started it (base64url). */
  browserBinding: string;
}

const pendingKey = (state: string) => `upstream-sign-in:${state}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** openid-client's states are 43 base64url characters; anything far from that matches nothing anyway. */
const PLAUSIBLE_STATE = /^[A-Za-z0-9_-]{16,128}$/;

export interface UpstreamSignInDependencies {
  provider: Provider;
  interactions: Interactions;
  upstreamProviders: ReadonlyMap<string, UpstreamProvider>;
  upstreamAccounts: UpstreamAccounts;
  store: ValueStore;
  render: PageRenderer;
  audit: Audit;
  clock: Clock;
}

/** The redirect URI an upstream sends the browser back to, which the operator registers there. */
export const upstreamRedirectPath = (providerId: string) => `/login/${providerId}/callback`;

/**
 * Sign-in through an upstream OpenID Connect provider: the sign-in page's "Sign in with …" link
 * sends the browser there; its return signs the person in as `<provider id>:<upstream sub>` and the
 * interaction goes on (consent, then the client's flow) as after a local sign-in.
 */
export function upstreamSignInRoutes(deps: UpstreamSignInDependencies): Router {
  const { provider, interactions, upstreamProviders, upstreamAccounts, store, render, audit, clock } = deps;
  const router = new Router();
  router.use(renderErrorsAsPage(render), renderUpstreamFailures(render, audit));

  const upstreamNamed = (id: string): UpstreamProvider => {
    const upstream = upstreamProviders.get(id);
    if (!upstream) throw withStatus(new errors.InvalidRequest(`there is no sign-in provider ${id}`), 404);
    return upstream;
  };

  router.get('/interaction/:uid/upstream/:id', async (ctx) => {
    const upstream = upstreamNamed(ctx.params.id!);
    const interaction = await interactions.load(ctx, 'login');
    const { url, checks } = await upstream.beginSignIn();
    const binding = randomBytes(32).toString('base64url');
    const pending: PendingSignIn = { provider: upstream.id, interactionUid: interaction.uid, browserBinding: sha256(binding), ...checks };
    await store.setValue(pendingKey(checks.state), JSON.stringify(pending), PENDING_SIGN_IN_SECONDS);
    bindingCookie(ctx, upstream.id, checks.state).set(binding);
    ctx.status = 303;
    ctx.redirect(url.href);
  });

  router.get(upstreamRedirectPath(':id'), async (ctx) => {
    const upstream = upstreamNamed(ctx.params.id!);
    const pending = await takePending(ctx, upstream.id);
    const claims = await upstream.finishSignIn(ctx.querystring, pending);
    const person = upstreamPerson(upstream.settings, claims, epochSeconds(clock));
    if (!(await upstreamAccounts.save(person))) {
      throw new UpstreamSignInError(403, 'access_denied', 'This account is disabled here. Ask the operator of this service.');
    }
    await finishLogin(ctx, pending.interactionUid, { accountId: person.sub, ...upstreamSignInContext(upstream.settings, claims) });
  });

  /**
   * One return per sign-in, in the browser that started it (RFC 9700 §4.7.1): a replayed or forged
   * callback finds nothing, and a sign-in link sent to someone else signs them in to nothing.
   * Another browser's attempt leaves the sign-in to its own browser, which may still finish it.
   */
  const takePending = async (ctx: Context, providerId: string): Promise<PendingSignIn> => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const stored = PLAUSIBLE_STATE.test(state) ? await store.getValue(pendingKey(state)) : undefined;
    const pending = stored === undefined ? undefined : (JSON.parse(stored) as PendingSignIn);
    if (!pending || pending.provider !== providerId) {
      throw new UpstreamSignInError(400, 'invalid_request', 'This sign-in is not in progress here: it finished, expired or never started. Go back to the application and start again.');
    }
    const cookie = bindingCookie(ctx, providerId, state);
    if (!sameSecret(sha256(cookie.get() ?? ''), pending.browserBinding)) {
      throw new UpstreamSignInError(400, 'sign_in_started_elsewhere', 'This sign-in did not start in this browser, so it cannot finish here. If someone sent you this link, close this page. Otherwise go back to the application and start again.');
    }
    // Of two returns racing with the same state, the one that removes the record from what both read goes on.
    if (!(await store.replaceValue(pendingKey(state), stored, undefined, PENDING_SIGN_IN_SECONDS))) {
      throw new UpstreamSignInError(400, 'invalid_request', 'This sign-in is not in progress here: it finished, expired or never started. Go back to the application and start again.');
    }
    cookie.clear();
    return pending;
  };

  /**
   * The browser's interaction cookie is scoped to the interaction's own path, so the callback finds
   * the interaction by the uid it kept; the browser still has to hold the resume cookie to go on.
   */
  const finishLogin = async (ctx: Context, interactionUid: string, login: { accountId: string; acr: string; amr?: string[] }) => {
    const interaction = await provider.Interaction.find(interactionUid);
    if (!interaction) throw new errors.SessionNotFound('the interaction expired');
    interaction.result = { login };
    // The interaction's expiry is oidc-provider's, dated by its own clock: what is left of it is too.
    await interaction.save(interaction.exp - epochSeconds(oidcProviderClock));
    ctx.status = 303;
    ctx.redirect(interaction.returnTo);
  };

  return router;
}

/**
 * The cookie that ties a pending sign-in to the browser that started it: HttpOnly, SameSite=Lax
 * (the upstream's redirect back is a top-level navigation, which carries it), alive as long as
 * the sign-in. Named after the state, so sign-ins started in two tabs keep a cookie each. Over
 * https it is a `__Host-` cookie, which a sibling domain cannot plant; over plain http (loopback
 * development) it is scoped to the callback's path instead.
 */
function bindingCookie(ctx: Context, providerId: string, state: string) {
  const secure = ctx.secure;
  const name = `${secure ? '__Host-' : ''}stagepass.upstream.${state}`;
  const options = { httpOnly: true, sameSite: 'lax' as const, secure, signed: false, overwrite: true, path: secure ? '/' : upstreamRedirectPath(providerId) };
  return {
    get: () => requestCookie(ctx, name),
    set: (value: string) => ctx.cookies.set(name, value, { ...options, maxAge: PENDING_SIGN_IN_SECONDS * 1000 }),
    clear: () => ctx.cookies.set(name, null, options),
  };
}

/**
 * The value of a cookie the request carries. Read from the header here rather than through
 * `ctx.cookies.get`, whose library keeps a pattern for every name ever asked for: names made of a
 * state each would grow that for as long as the process lives.
 */
function requestCookie(ctx: Context, name: string): string | undefined {
  for (const pair of (ctx.get('cookie') ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}

function renderUpstreamFailures(render: PageRenderer, audit: Audit): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      if (!(thrown instanceof UpstreamSignInError)) throw thrown;
      audit.denied({ reason: 'upstream_sign_in_failed', description: thrown.code, path: ctx.path, ip: ctx.ip });
      render(ctx, 'error', thrown.status === 503 ? 'Cannot reach the sign-in provider' : 'Sign-in did not succeed', {
        error: thrown.code,
        description: thrown.message,
      });
      ctx.status = thrown.status;
      if (thrown.status === 503) ctx.set('Retry-After', '5');
    }
  };
}
