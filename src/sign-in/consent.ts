import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors, type Provider } from 'oidc-provider';

import type { AccountDirectory } from '../accounts/account-directory.js';
import type { PageRenderer } from '../http/page-renderer.js';
import type { ClientOnPage } from './client-on-page.js';
import { type Interaction, interactionPaths, type Interactions } from './interaction.js';

export interface ConsentDependencies {
  provider: Provider;
  interactions: Interactions;
  accounts: AccountDirectory;
  render: PageRenderer;
  clientOnPage: ClientOnPage;
}

/** What oidc-provider asks a person to approve: the scopes and claims a client wants and does not have yet. */
interface MissingConsent {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Approving a client: the page naming what it asks for, and its approve and deny forms. */
export function consentStep({ provider, interactions, accounts, render, clientOnPage }: ConsentDependencies) {
  const page = async (ctx: Context, interaction: Interaction) => {
    const details = interaction.prompt.details as MissingConsent;
    const accountId = interaction.session?.accountId;
    const paths = interactionPaths(interaction.uid);
    render(ctx, 'consent', 'Allow access?', {
      client: await clientOnPage(interaction),
      username: accountId ? ((await accounts.find(accountId))?.username ?? '') : '',
      scopes: [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()].map(describeScope),
      approveAction: paths.confirm,
      denyAction: paths.abort,
      csrf: interactions.csrfToken(interaction.uid),
    });
  };

  return {
    page,
    routes(router: Router): void {
      router.post('/confirm', async (ctx) => {
        const { interaction } = await interactions.loadForm(ctx, 'consent');
        const accountId = interaction.session?.accountId;
        if (!accountId) throw new errors.SessionNotFound('sign in first');
        const details = interaction.prompt.details as MissingConsent;
        const grant = (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined)
          ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
        if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
        if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        await interactions.finish(ctx, { consent: { grantId } });
      });

      // Denying, at whichever step: the person leaves, and the client is told access was denied.
      router.post('/abort', async (ctx) => {
        await interactions.loadForm(ctx);
        await interactions.finish(ctx, { error: 'access_denied', error_description: 'the user denied the request' });
      });
    },
  };
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
