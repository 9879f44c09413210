import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Context } from 'koa';
import { errors, type Provider } from 'oidc-provider';
import QRCode from 'qrcode';

import type { Account, AccountDirectory } from '../accounts/account-directory.js';
import type { CredentialStamps } from '../accounts/credential-stamps.js';
import type { FactorStore, FactorView } from '../accounts/factors/factor-store.js';
import { otpauthUri } from '../accounts/factors/totp.js';
import { ACCOUNT_CLIENT_ID } from '../config/clients.js';
import { readForm } from '../http/form-body.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { withStatus } from '../http/with-status.js';
import type { AddressRate } from '../limits/address-rate.js';
import { describeWait } from '../limits/failure-lockout.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { Audit } from '../observability/audit.js';
import { ACCOUNT_SIGNED_IN_PATH } from '../provider/create-provider.js';
import { signedInSession, type SignedInSession } from '../provider/oidc-provider-internals.js';
import { type Clock, epochSeconds, oidcProviderClock } from '../time/clock.js';
import { renderErrorsAsPage } from './interaction.js';
import type { PasskeyCeremonies } from './passkey-ceremonies.js';
import { PASSKEY_SCRIPTS } from './passkey-scripts.js';

/** A sign-in this recent, with the factor itself, may remove a person's last second factor. */
const FRESH_SIGN_IN_SECONDS = 5 * 60;
const MAX_NAME_LENGTH = 64;

/** What a sign-in with each kind of factor leaves in the session's `amr` (RFC 8176). */
const AMR_OF_FACTOR: Readonly<Record<string, readonly string[]>> = { passkey: ['hwk', 'swk'], totp: ['otp'] };

export interface AccountPageDependencies {
  provider: Provider;
  accounts: AccountDirectory;
  factors: FactorStore;
  ceremonies: PasskeyCeremonies;
  render: PageRenderer;
  audit: Audit;
  /** Counts wrong authenticator codes as failed sign-ins of the account, and of the address. */
  loginThrottle: LoginThrottle;
  factorChanges: FactorChangeRates;
  /** Keys the page's CSRF token; the cookie keys serve, being secret and shared by instances. */
  csrfSecret: string;
  issuer: string;
  clock: Clock;
  credentialStamps: CredentialStamps;
}

/**
 * How often sign-in methods may be changed: by one person (a stolen session adding passkeys of its
 * own, or spending the store), and from one address (many sessions at once).
 */
export interface FactorChangeRates {
  perAccount: AddressRate;
  perAddress: AddressRate;
}

/** The person signed in in this browser, and the sign-in they are. */
interface Visitor {
  session: SignedInSession;
  account: Account;
}

/**
 * The account page, `/account`: a person signed in through the usual sign-in sees their sign-in
 * methods, adds, names and removes passkeys, sets up an authenticator app and makes recovery codes.
 */
export function accountPageRoutes(deps: AccountPageDependencies): Router {
  const { provider, accounts, factors, ceremonies, render, audit, loginThrottle, factorChanges, csrfSecret, issuer, clock, credentialStamps } = deps;
  const router = new Router({ prefix: '/account' });
  router.use(renderErrorsAsPage(render));
  const csrfOf = (session: SignedInSession) => createHmac('sha256', csrfSecret).update(`account:${session.id}`).digest('base64url');

  const visitor = async (ctx: Context): Promise<Visitor | undefined> => {
    const session = await signedInSession(provider, ctx);
    const account = session && (await credentialStamps.stands(session.accountId, session.loginTs)) ? await accounts.find(session.accountId) : undefined;
    return session && account ? { session, account } : undefined;
  };

  /** A form posted by the person signed in here, its CSRF token checked first. */
  const postedForm = async (ctx: Context): Promise<Visitor & { form: Record<string, string> }> => {
    const form = await readForm(ctx);
    const signedIn = await visitor(ctx);
    if (!signedIn) throw new errors.SessionNotFound('sign in first');
    if (!sameSecret(form.csrf ?? '', csrfOf(signedIn.session))) {
      throw withStatus(new errors.InvalidRequest('the form has expired or did not come from this site; start again'), 403);
    }
    return { ...signedIn, form };
  };

  /**
   * A form changing the person's sign-in methods, counted against the person and the address
   * before anything is done; undefined, the page answered 429, when either is over its rate.
   */
  const changeForm = async (ctx: Context): Promise<(Visitor & { form: Record<string, string> }) | undefined> => {
    const signedIn = await postedForm(ctx);
    const decisions = await Promise.all([factorChanges.perAccount.take(signedIn.account.sub), factorChanges.perAddress.take(ctx.ip)]);
    const retryAfter = Math.max(...decisions.map((decision) => (decision.allowed ? 0 : decision.retryAfter)));
    if (retryAfter === 0) return signedIn;
    audit.factor({ action: 'refused', userId: signedIn.account.sub, ip: ctx.ip, reason: 'rate_limited' });
    ctx.status = 429;
    ctx.set('Retry-After', String(retryAfter));
    await page(ctx, signedIn, { error: `Too many changes to your sign-in methods. Try again in ${describeWait(retryAfter)}.` });
    return undefined;
  };

  const page = async (ctx: Context, { session, account }: Visitor, notice: { error?: string; message?: string } = {}) => {
    const held = await factors.list(account.sub);
    const csrf = csrfOf(session);
    render(ctx, 'account', 'Your account', {
      username: account.username,
      passkeys: held.filter(({ type }) => type === 'passkey').map((factor) => withRemoval(factor, held)),
      totp: held.find(({ type }) => type === 'totp'),
      recoveryCodes: held.find(({ type }) => type === 'recovery_codes'),
      registration: JSON.stringify(await ceremonies.registrationOptions(`account:${session.id}`, account)),
      csrf,
      error: notice.error ?? '',
      message: notice.message ?? '',
      scripts: PASSKEY_SCRIPTS,
    });
  };

  router.get('/', async (ctx) => {
    const signedIn = await visitor(ctx);
    if (!signedIn) {
      ctx.status = 303;
      ctx.redirect(signInUrl(provider, issuer).href);
      return;
    }
    await page(ctx, signedIn);
  });

  // The sign-in left a session in this browser, which is all the page needs.
  router.get(ACCOUNT_SIGNED_IN_PATH.slice('/account'.length), (ctx) => {
    ctx.status = 303;
    ctx.redirect('/account');
  });

  router.post('/passkeys', async (ctx) => {
    const signedIn = await changeForm(ctx);
    if (!signedIn) return;
    const { session, account, form } = signedIn;
    const name = (form.name ?? '').trim().slice(0, MAX_NAME_LENGTH) || 'Passkey';
    const added = await ceremonies.register(`account:${session.id}`, account.sub, form.response, name);
    if (!added) {
      audit.factor({ action: 'refused', factorType: 'passkey', userId: account.sub, ip: ctx.ip, reason: 'registration_not_verified' });
      ctx.status = 400;
      await page(ctx, signedIn, { error: 'The passkey could not be added: the browser\'s answer did not verify. Try again.' });
      return;
    }
    audit.factor({ action: 'enrolled', factorType: 'passkey', factorId: added.id, userId: account.sub, ip: ctx.ip });
    await page(ctx, signedIn, { message: `Passkey "${added.name}" added.` });
  });

  router.post('/passkeys/:id/name', async (ctx) => {
    const signedIn = await changeForm(ctx);
    if (!signedIn) return;
    const name = (signedIn.form.name ?? '').trim().slice(0, MAX_NAME_LENGTH);
    if (!name || !(await factors.renamePasskey(signedIn.account.sub, ctx.params.id!, name))) {
      ctx.status = 400;
      await page(ctx, signedIn, { error: name ? 'There is no such passkey.' : 'A passkey needs a name.' });
      return;
    }
    audit.factor({ action: 'renamed', factorType: 'passkey', factorId: ctx.params.id!, userId: signedIn.account.sub, ip: ctx.ip });
    await page(ctx, signedIn, { message: 'Passkey renamed.' });
  });

  router.post('/factors/:id/remove', async (ctx) => {
    const signedIn = await changeForm(ctx);
    if (!signedIn) return;
    const { session, account } = signedIn;
    const held = await factors.list(account.sub);
    const factor = held.find(({ id }) => id === ctx.params.id);
    if (!factor) {
      ctx.status = 404;
      await page(ctx, signedIn, { error: 'There is no such sign-in method.' });
      return;
    }
    const removal = withRemoval(factor, held);
    if (removal.needsSignInWith && !signedInWith(session, factor, clock.now())) {
      ctx.status = 403;
      await page(ctx, signedIn, { error: `This is your last second factor: sign in with it again (within ${FRESH_SIGN_IN_SECONDS / 60} minutes) to remove it.` });
      return;
    }
    await factors.remove(account.sub, factor.id);
    audit.factor({ action: 'removed', factorType: factor.type, factorId: factor.id, userId: account.sub, ip: ctx.ip });
    await page(ctx, signedIn, { message: `${factor.name} removed.` });
  });

  router.post('/totp', async (ctx) => {
    const signedIn = await changeForm(ctx);
    if (!signedIn) return;
    await totpSetupPage(ctx, signedIn, await factors.beginTotp(signedIn.account.sub));
  });

  const totpSetupPage = async (ctx: Context, { session, account }: Visitor, secret: string, error = '') => {
    const uri = otpauthUri({ secret, issuer: new URL(issuer).host, account: account.username });
    render(ctx, 'account-totp', 'Set up an authenticator app', {
      qr: await QRCode.toDataURL(uri, { margin: 1, width: 240 }),
      secret,
      uri,
      csrf: csrfOf(session),
      error,
    });
  };

  router.post('/totp/confirm', async (ctx) => {
    const signedIn = await postedForm(ctx);
    const { account, form } = signedIn;
    const attempt = await loginThrottle.attempt(account.username, ctx.ip);
    if (!attempt.allowed) {
      ctx.status = 429;
      ctx.set('Retry-After', String(attempt.lockedFor));
      await page(ctx, signedIn, { error: `Too many wrong codes. Try again in ${describeWait(attempt.lockedFor)}.` });
      return;
    }
    const added = await factors.confirmTotp(account.sub, (form.code ?? '').replace(/\s/g, ''));
    if (!added) {
      audit.factor({ action: 'refused', factorType: 'totp', userId: account.sub, ip: ctx.ip, reason: 'wrong_code' });
      ctx.status = 400;
      await page(ctx, signedIn, { error: 'That code is not the app\'s current one (or the setup expired). Set it up again.' });
      return;
    }
    await attempt.succeeded();
    audit.factor({ action: 'enrolled', factorType: 'totp', factorId: added.id, userId: account.sub, ip: ctx.ip });
    await page(ctx, signedIn, { message: 'Authenticator app set up.' });
  });

  router.post('/recovery-codes', async (ctx) => {
    const signedIn = await changeForm(ctx);
    if (!signedIn) return;
    const { session, account } = signedIn;
    const codes = await factors.replaceRecoveryCodes(account.sub);
    audit.factor({ action: 'enrolled', factorType: 'recovery_codes', userId: account.sub, ip: ctx.ip });
    render(ctx, 'account-recovery-codes', 'Your recovery codes', { codes, csrf: csrfOf(session) });
  });

  return router;
}

/**
 * An authorization request for the account page's own client, which sends the browser through
 * the sign-in. PKCE is required of it as of every public client; its code is never redeemed.
 */
function signInUrl(provider: Provider, issuer: string): URL {
  const url = new URL(provider.urlFor('authorization'));
  const verifier = randomBytes(32).toString('base64url');
  url.search = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${issuer}${ACCOUNT_SIGNED_IN_PATH}`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return url;
}

/** A factor as the page lists it, with whether removing it takes a fresh sign-in with it: the last passkey or app. */
function withRemoval(factor: FactorView, held: readonly FactorView[]): FactorView & { needsSignInWith: boolean } {
  const secondFactors = held.filter(({ type }) => type !== 'recovery_codes');
  return { ...factor, needsSignInWith: factor.type !== 'recovery_codes' && secondFactors.length === 1 };
}

/**
 * Whether this session's sign-in, a recent one, was made with the factor: its method is in the
 * session's `amr` and the factor itself was used as recently (a recovery code also says `otp`).
 */
function signedInWith(session: SignedInSession, factor: FactorView, now: number): boolean {
  const fresh = epochSeconds(oidcProviderClock) - session.loginTs <= FRESH_SIGN_IN_SECONDS;
  const usedLately = factor.last_used !== null && now - Date.parse(factor.last_used) <= FRESH_SIGN_IN_SECONDS * 1000;
  return fresh && usedLately && (AMR_OF_FACTOR[factor.type] ?? []).some((method) => session.amr.includes(method));
}

function sameSecret(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}
