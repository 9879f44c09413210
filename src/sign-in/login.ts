import type Router from '@koa/router';
import type { Context } from 'koa';

import type { AccountDirectory } from '../accounts/account-directory.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { describeWait } from '../limits/failure-lockout.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { Audit } from '../observability/audit.js';
import { type Interaction, interactionPaths, type Interactions } from './interaction.js';
import type { ClientOnPage } from './client-on-page.js';

export interface LoginDependencies {
  interactions: Interactions;
  accounts: AccountDirectory;
  render: PageRenderer;
  loginThrottle: LoginThrottle;
  audit: Audit;
  clientOnPage: ClientOnPage;
  /** Offered on the sign-in page beside the username and password form (or, with no local accounts, alone). */
  upstreamProviders: readonly { id: string; name: string }[];
}

/**
 * Signing in with a username and password: the sign-in page, and its form, which counts every
 * attempt against the account's and the address's lockouts before the password is checked.
 */
export function loginStep({ interactions, accounts, render, loginThrottle, audit, clientOnPage, upstreamProviders }: LoginDependencies) {
  const page = async (ctx: Context, interaction: Interaction, error = '', username = '') => {
    const paths = interactionPaths(interaction.uid);
    render(ctx, 'login', 'Sign in', {
      client: await clientOnPage(interaction),
      action: paths.login,
      abortAction: paths.abort,
      csrf: interactions.csrfToken(interaction.uid),
      error,
      username,
      localSignIn: await accounts.hasLocalAccounts(),
      upstreamSignIns: upstreamProviders.map(({ id, name }) => ({ name, href: paths.upstream(id) })),
    });
  };

  return {
    page,
    routes(router: Router): void {
      router.post('/login', async (ctx) => {
        const { interaction, form } = await interactions.loadForm(ctx, 'login');
        const username = form.username ?? '';
        const clientId = String(interaction.params.client_id);
        const attempt = await loginThrottle.attempt(username, ctx.ip);
        if (!attempt.allowed) {
          audit.denied({ reason: 'login_locked_out', clientId, userId: await accounts.subjectOf(username), ip: ctx.ip });
          ctx.status = 429;
          ctx.set('Retry-After', String(attempt.lockedFor));
          await page(ctx, interaction, `Too many failed sign-ins. Try again in ${describeWait(attempt.lockedFor)}.`, username);
          return;
        }
        const account = await accounts.authenticate(username, form.password ?? '');
        if (!account) {
          audit.denied({ reason: 'login_failed', clientId, userId: await accounts.subjectOf(username), ip: ctx.ip });
          ctx.status = 401;
          await page(ctx, interaction, 'Wrong username or password.', username);
          return;
        }
        await attempt.succeeded();
        await interactions.finish(ctx, { login: { accountId: account.sub } });
      });
    },
  };
}
