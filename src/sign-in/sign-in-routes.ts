import Router from '@koa/router';
import type { Provider } from 'oidc-provider';

import type { AccountDirectory } from '../accounts/account-directory.js';
import type { CredentialStamps } from '../accounts/credential-stamps.js';
import type { FactorStore } from '../accounts/factors/factor-store.js';
import type { UpstreamAccounts } from '../accounts/upstream-accounts.js';
import type { PageRenderer } from '../http/page-renderer.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { Audit } from '../observability/audit.js';
import type { ClientDisplayer } from '../provider/client-display.js';
import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { accountPageRoutes, type FactorChangeRates } from './account-page.js';
import { clientOnPage } from './client-on-page.js';
import { consentStep } from './consent.js';
import { Interactions, renderErrorsAsPage } from './interaction.js';
import { loginStep } from './login.js';
import { PasskeyCeremonies, type PasskeySite } from './passkey-ceremonies.js';
import { secondFactorStep } from './second-factor.js';
import type { UpstreamProvider } from './upstream/upstream-provider.js';
import { upstreamSignInRoutes } from './upstream.js';

export interface SignInDependencies {
  provider: Provider;
  accounts: AccountDirectory;
  upstreamAccounts: UpstreamAccounts;
  upstreamProviders: ReadonlyMap<string, UpstreamProvider>;
  render: PageRenderer;
  /** Keys the per-interaction CSRF token; the cookie keys serve, being secret and shared by instances. */
  csrfSecret: string;
  loginThrottle: LoginThrottle;
  /** How often a person, and an address, may change sign-in methods on the account page. */
  factorChanges: FactorChangeRates;
  audit: Audit;
  displayClient: ClientDisplayer;
  /** Where upstream sign-ins wait for the browser's return. */
  store: ValueStore;
  clock: Clock;
  /** People's passkeys, authenticator apps and recovery codes. */
  factors: FactorStore;
  /** When each account's credentials last changed: the account page takes no session signed in before. */
  credentialStamps: CredentialStamps;
  /** Where passkeys are made for and used. */
  passkeySite: PasskeySite;
  issuer: string;
}

/**
 * The pages oidc-provider sends a person to whenever it needs them to sign in or approve a
 * client: the interaction's page (the sign-in page or the consent page, as the step is), the
 * sign-in and consent forms, and sign-in through upstream providers; and the account page, where
 * a person manages how they sign in.
 */
export function signInRoutes(deps: SignInDependencies): Router[] {
  const { provider, render } = deps;
  const interactions = new Interactions(provider, deps.csrfSecret);
  const ceremonies = new PasskeyCeremonies(deps.store, deps.factors, deps.passkeySite, deps.csrfSecret, deps.clock);
  const shownClient = clientOnPage(provider, deps.displayClient);
  const secondFactor = secondFactorStep({ ...deps, interactions, ceremonies, loginPage: (ctx, interaction, error) => login.page(ctx, interaction, error) });
  const login = loginStep({
    ...deps, interactions, ceremonies, clientOnPage: shownClient, upstreamProviders: [...deps.upstreamProviders.values()],
    askSecondFactor: (ctx, interaction, person) => secondFactor.begin(ctx, interaction, person),
  });
  const consent = consentStep({ ...deps, interactions, clientOnPage: shownClient });

  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(renderErrorsAsPage(render));
  router.get('/', async (ctx) => {
    const interaction = await interactions.load(ctx);
    if (interaction.prompt.name !== 'login') await consent.page(ctx, interaction);
    else if (!(await secondFactor.pageIfPending(ctx, interaction)) && !(await secondFactor.stepUpIfAsked(ctx, interaction))) await login.page(ctx, interaction);
  });
  login.routes(router);
  secondFactor.routes(router);
  consent.routes(router);
  return [router, upstreamSignInRoutes({ ...deps, interactions }), accountPageRoutes({ ...deps, ceremonies })];
}
