import type Router from '@koa/router';
import type { Context } from 'koa';

import type { AccountDirectory } from '../accounts/account-directory.js';
import { authenticationContextOf } from '../accounts/authentication-context.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { describeWait } from '../limits/failure-lockout.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { Audit } from '../observability/audit.js';
import { type Interaction, interactionPaths, type Interactions } from './interaction.js';
import type { ClientOnPage } from './client-on-page.js';
import type { PasskeyCeremonies } from './passkey-ceremonies.js';
import { PASSKEY_SCRIPTS } from './passkey-scripts.js';
import { passkeyBinding } from './second-factor.js';

export interface LoginDependencies {
  interactions: Interactions;
  accounts: AccountDirectory;
  render: PageRenderer;
  loginThrottle: LoginThrottle;
  audit: Audit;
  clientOnPage: ClientOnPage;
  /** Offered on the sign-in page beside the username and password form (or, with no local accounts, alone). */
  upstreamProviders: readonly { id: string; name: string }[];
  ceremonies: PasskeyCeremonies;
  /** After a right password: asks a person with a second factor for it (false when they have none). */
  askSecondFactor(ctx: Context, interaction: Interaction, person: { sub: string; username: string }): Promise<boolean>;
}

/**
 * Signing in with a username and password: the sign-in page, and its form, which counts every
 * attempt against the account's and the address's lockouts before the password is checked.
 */
export function loginStep(deps: LoginDependencies) {
  const { interactions, accounts, render, loginThrottle, audit, clientOnPage, upstreamProviders, ceremonies, askSecondFactor } = deps;
  const page = async (ctx: Context, interaction: Interaction, error = '', username = '') => {
    const paths = interactionPaths(interaction.uid);
    const localSignIn = await accounts.hasLocalAccounts();
    render(ctx, 'login', 'Sign in', {
      client: await clientOnPage(interaction),
      action: paths.login,
      abortAction: paths.abort,
      csrf: interactions.csrfToken(interaction.uid),
      error,
      username,
      localSignIn,
      upstreamSignIns: upstreamProviders.map(({ id, name }) => ({ name, href: paths.upstream(id) })),
      passkeyAction: paths.passkey,
      // Any passkey of this site, which names its person: no username needed.
      passkeyOptions: localSignIn ? JSON.stringify(await ceremonies.authenticationOptions(passkeyBinding(interaction.uid))) : '',
      scripts: localSignIn ? PASSKEY_SCRIPTS : [],
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
        if (await askSecondFactor(ctx, interaction, account)) return;
        await interactions.finish(ctx, { login: { accountId: account.sub, ...authenticationContextOf({ method: 'password' }) } });
      });
    },
  };
}
