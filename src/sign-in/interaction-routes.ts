import { createHmac, timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { errors, type Provider } from 'oidc-provider';

import type { AccountDirectory } from '../accounts/account-directory.js';
import { describeWait } from '../limits/failure-lockout.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { Audit } from '../observability/audit.js';
import { readForm } from '../http/form-body.js';
import { withStatus } from '../http/with-status.js';
import type { PageRenderer } from '../http/page-renderer.js';
import type { ClientDisplayer } from '../provider/client-display.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionRouteDependencies {
  provider: Provider;
  accounts: AccountDirectory;
  render: PageRenderer;
  /** Keys the per-interaction CSRF token; the cookie keys serve, being secret and shared by instances. */
  csrfSecret: string;
  loginThrottle: LoginThrottle;
  audit: Audit;
  displayClient: ClientDisplayer;
  /** Offered on the sign-in page beside the username and password form (or, with no local accounts, alone). */
  upstreamProviders: readonly { id: string; name: string }[];
}

/**
 * Login and consent: the pages oidc-provider sends a person to whenever it needs them to sign in
 * or approve a client. Each form carries a CSRF token bound to the interaction; the interaction
 * itself is bound to a SameSite cookie by oidc-provider.
 */
export function interactionRoutes(dependencies: InteractionRouteDependencies): Router {
  const { provider, accounts, render, csrfSecret, loginThrottle, audit, displayClient, upstreamProviders } = dependencies;
  const router = new Router({ prefix: '/interaction/:uid' });
  const csrfToken = (uid: string) => createHmac('sha256', csrfSecret).update(`interaction:${uid}`).digest('base64url');
  const paths = (uid: string) => ({
    login: `/interaction/${uid}/login`,
    confirm: `/interaction/${uid}/confirm`,
    abort: `/interaction/${uid}/abort`,
  });

  const clientOf = async (interaction: Interaction) => {
    const clientId = String(interaction.params.client_id);
    return displayClient(await provider.Client.find(clientId), clientId, interaction.params.redirect_uri);
  };

  const renderLogin = async (ctx: Context, interaction: Interaction, error = '', username = '') => {
    render(ctx, 'login', 'Sign in', {
      client: await clientOf(interaction),
      action: paths(interaction.uid).login,
      abortAction: paths(interaction.uid).abort,
      csrf: csrfToken(interaction.uid),
      error,
      username,
      localSignIn: await accounts.hasLocalAccounts(),
      upstreamSignIns: upstreamProviders.map(({ id, name }) => ({ name, href: `/interaction/${interaction.uid}/upstream/${id}` })),
    });
  };

  /** Loads the interaction named by the cookie and checks it is the one in the URL. */
  const load = async (ctx: Context): Promise<Interaction> => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction does not match this browser session');
    return interaction;
  };

  /** Reads a posted form after checking its CSRF token. */
  const loadForm = async (ctx: Context): Promise<{ interaction: Interaction; form: Record<string, string> }> => {
    const form = await readForm(ctx);
    const interaction = await load(ctx);
    const expected = Buffer.from(csrfToken(interaction.uid));
    const given = Buffer.from(form.csrf ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw withStatus(new errors.InvalidRequest('the form has expired or did not come from this site; start again'), 403);
    }
    return { interaction, form };
  };

  const finish = async (ctx: Context, result: Parameters<Provider['interactionResult']>[2]) => {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };

  router.use(renderErrorsAsPage(render));

  router.get('/', async (ctx) => {
    const interaction = await load(ctx);
    if (interaction.prompt.name === 'login') {
      await renderLogin(ctx, interaction);
      return;
    }
    const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    const accountId = interaction.session?.accountId;
    render(ctx, 'consent', 'Allow access?', {
      client: await clientOf(interaction),
      username: accountId ? ((await accounts.find(accountId))?.username ?? '') : '',
      scopes: [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()].map(describeScope),
      approveAction: paths(interaction.uid).confirm,
      denyAction: paths(interaction.uid).abort,
      csrf: csrfToken(interaction.uid),
    });
  });

  router.post('/login', async (ctx) => {
    const { interaction, form } = await loadForm(ctx);
    if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this sign-in step is already complete');
    const username = form.username ?? '';
    const clientId = String(interaction.params.client_id);
    const attempt = await loginThrottle.attempt(username, ctx.ip);
    if (!attempt.allowed) {
      audit.denied({ reason: 'login_locked_out', clientId, userId: await accounts.subjectOf(username), ip: ctx.ip });
      ctx.status = 429;
      ctx.set('Retry-After', String(attempt.lockedFor));
      await renderLogin(ctx, interaction, `Too many failed sign-ins. Try again in ${describeWait(attempt.lockedFor)}.`, username);
      return;
    }
    const account = await accounts.authenticate(username, form.password ?? '');
    if (!account) {
      audit.denied({ reason: 'login_failed', clientId, userId: await accounts.subjectOf(username), ip: ctx.ip });
      ctx.status = 401;
      await renderLogin(ctx, interaction, 'Wrong username or password.', username);
      return;
    }
    await attempt.succeeded();
    await finish(ctx, { login: { accountId: account.sub } });
  });

  router.post('/confirm', async (ctx) => {
    const { interaction } = await loadForm(ctx);
    if (interaction.prompt.name !== 'consent') throw new errors.InvalidRequest('there is nothing to approve at this step');
    const accountId = interaction.session?.accountId;
    if (!accountId) throw new errors.SessionNotFound('sign in first');
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined)
      ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, { consent: { grantId } });
  });

  router.post('/abort', async (ctx) => {
    await loadForm(ctx);
    await finish(ctx, { error: 'access_denied', error_description: 'the user denied the request' });
  });

  return router;
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your name and profile',
  email: 'See your email address',
  offline_access: 'Keep access while you are away',
};

function describeScope(scope: string): string {
  return SCOPE_DESCRIPTIONS[scope] ?? scope;
}

/** A person sees these errors in a browser, so they get the error page rather than JSON. */
export function renderErrorsAsPage(render: PageRenderer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      if (!(thrown instanceof errors.OIDCProviderError)) throw thrown;
      const error = thrown as errors.OIDCProviderError & { statusCode: number };
      const sessionGone = error instanceof errors.SessionNotFound;
      render(ctx, 'error', sessionGone ? 'Session expired' : 'Something went wrong', {
        error: error.error,
        description: sessionGone
          ? 'This sign-in is no longer active in this browser. Go back to the application and start again.'
          : (error.error_description ?? error.message),
      });
      ctx.status = error.statusCode;
    }
  };
}
