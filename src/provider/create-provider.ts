import { errors, Provider, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import type { AccountDirectory } from '../accounts/account-directory.js';
import { ACR_LEVELS } from '../accounts/authentication-context.js';
import type { CredentialStamps } from '../accounts/credential-stamps.js';
import type { FactorStore } from '../accounts/factors/factor-store.js';
import { findClient } from '../grants/common/client-authentication.js';
import { MINTING_POLICY_METADATA } from '../grants/config.js';
import { ACCOUNT_CLIENT_ID } from '../config/clients.js';
import type { BaseConfig } from '../config/schema.js';
import type { PrivateJwks } from '../keys/signing-keys.js';
import { MAX_JSON_DEPTH, pathDeeperThan } from '../http/json-input.js';
import { MAX_OUTSIDE_DOCUMENT_BYTES, outsideFetch } from '../http/outside-fetch.js';
import type { PageRenderer } from '../http/page-renderer.js';
import type { ModelStore, RotationNotes, ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { enforceDevicePollingInterval } from './device-polling.js';
import { withAcrRequirements } from './authentication-requirements.js';
import { signInAgainWhenAccountGone } from './gone-account-policy.js';
import { clientDisplayer } from './client-display.js';
import { providerPages } from './provider-pages.js';
import { registerRefreshTokenGrant } from './refresh-token-grant.js';
import type { ApiClients } from './api-clients.js';
import type { Endings } from './endings.js';
import type { GrantIndex } from './grant-index.js';
import { adapterFor } from './store-adapter.js';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const INTERACTION_LIFETIME = HOUR;
/** The longest-lived token oidc-provider signs with the server's keys. */
export const ID_TOKEN_LIFETIME_SECONDS = HOUR;
/** How long a grant lives, and its refresh tokens: the longest-lived record of the provider's. */
export const GRANT_LIFETIME_SECONDS = 14 * DAY;

const ROUTES_WHERE_CLIENTS_DESCRIBE_THEMSELVES = new Set(['registration', 'client_update']);

/** Client metadata naming a resource server, which may introspect every client's tokens. */
const INTROSPECTION_ALLOWED = 'introspection_allowed';

/** Where the account page's sign-in comes back to. */
export const ACCOUNT_SIGNED_IN_PATH = '/account/signed-in';

/** oidc-provider 9's limits on the documents it fetches itself, which its types leave out. */
interface OutsideDocuments {
  fetchResponseBodyLimits: Readonly<Record<string, number>>;
}

export interface ProviderDependencies {
  config: BaseConfig;
  store: ModelStore & RotationNotes & ValueStore;
  jwks: PrivateJwks;
  cookieKeys: string[];
  accounts: AccountDirectory;
  render: PageRenderer;
  /** Times device polls; oidc-provider's own lifetimes keep the system's time. */
  clock: Clock;
  /**
   * Scopes only the configuration file may give a client (the Admin API's): known to the provider,
   * so a configured client obtains them, and refused in dynamic registration and client updates.
   */
  reservedScopes: readonly string[];
  /** Where the adapter notes each grant by its client and account (for revoking them all at once). */
  grantIndex: GrantIndex;
  /** The clients made through the Admin API, which oidc-provider finds beside the registered ones. */
  apiClients: ApiClients;
  /** What ends with a client that deletes its registration. */
  endings: Endings;
  /** People's second factors: whether a sign-in an app asks for is one they can give. */
  factors: FactorStore;
  /** When each account's credentials last changed: a session signed in before is signed out. */
  credentialStamps: CredentialStamps;
}

/**
 * Builds the provider with its device polling rules. Callers register the minting grants next and
 * then call `assertStaticClientsValid`, since clients may list those grants' types.
 */
export function createProvider({
  config, store, jwks, cookieKeys, accounts, render, clock, reservedScopes, grantIndex, apiClients, endings, factors, credentialStamps,
}: ProviderDependencies): Provider {
  const pages = providerPages(render, clientDisplayer(config.clients.map((client) => client.client_id), apiClients));
  const configuration: Configuration & OutsideDocuments = {
    // A client's jwks_uri and sector_identifier_uri are read as every document from outside is:
    // bounded in time and size (oidc-provider's own limit is none), its special-use addresses refused.
    fetch: (input, init) => outsideFetch(input instanceof Request ? input.url : String(input), init ?? {}),
    fetchResponseBodyLimits: { jwks_uri: MAX_OUTSIDE_DOCUMENT_BYTES, sector_identifier_uri: MAX_OUTSIDE_DOCUMENT_BYTES },
    adapter: adapterFor(store, { idleExpirySeconds: config.registration.idleExpiryDays * DAY, clock, grantIndex, apiClients, endings }),
    clients: [...config.clients, accountPageClient(config.issuer)],
    loadExistingGrant: grantOrAccountPageGrant,
    jwks: jwks as Configuration['jwks'],
    cookies: {
      keys: cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: async (_ctx, sub) => {
      const account = await accounts.find(sub);
      if (!account) return undefined;
      return {
        accountId: account.sub,
        claims: () => ({ preferred_username: account.username, ...account.claims, groups: [...account.groups], sub: account.sub }),
      };
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups', ...reservedScopes],
    claims: {
      // How and when the person signed in, in every ID token: an app asking for a step-up reads them there.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'given_name', 'family_name', 'nickname', 'preferred_username', 'picture', 'locale', 'zoneinfo', 'updated_at'],
      email: ['email', 'email_verified'],
      // The person's stagepass groups, which decide what may be minted for them.
      groups: ['groups'],
    },
    responseTypes: ['code'],
    acrValues: [...ACR_LEVELS],
    extraTokenClaims: (ctx, token) => (token.kind === 'AccessToken' && token.accountId ? signInOf(ctx) : undefined),
    // The ID token carries the claims of its scopes (groups among them) as well as userinfo does,
    // so a relying party knows the person's groups without a second request.
    conformIdTokenClaims: false,
    // Every refresh rotates its token; the retry of a rotation never answered is answered with its successor (see refresh-token-grant).
    rotateRefreshToken: true,
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: HOUR,
      AuthorizationCode: MINUTE,
      ClientCredentials: 10 * MINUTE,
      DeviceCode: config.deviceFlow.expiresIn,
      Grant: GRANT_LIFETIME_SECONDS,
      IdToken: ID_TOKEN_LIFETIME_SECONDS,
      Interaction: INTERACTION_LIFETIME,
      RefreshToken: GRANT_LIFETIME_SECONDS,
      // A page visit that signs nobody in (the device code entry page) keeps its session no longer than an interaction.
      Session: (_ctx, session) => (session.accountId ? 14 * DAY : INTERACTION_LIFETIME),
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: withAcrRequirements(signInAgainWhenAccountGone((sub, loginTs) => credentialStamps.stands(sub, loginTs)), (sub) => factors.strongestAcr(sub)),
    },
    extraClientMetadata: {
      // The minters' policy fields and the resource server mark: only the operator sets them, in
      // the configuration file; dynamic registration and client updates may not.
      properties: [...Object.keys(MINTING_POLICY_METADATA), INTROSPECTION_ALLOWED],
      validator(ctx, key, value, metadata) {
        const route = (ctx as KoaContextWithOIDC | undefined)?.oidc?.route;
        const describesItself = route !== undefined && ROUTES_WHERE_CLIENTS_DESCRIBE_THEMSELVES.has(route);
        // Called for every extra property of every client: the first one checks the client as a whole, once.
        if (key === INTROSPECTION_ALLOWED) assertWholeClientAllowed(metadata, { describesItself, reservedScopes });
        if (value === undefined) return;
        if (describesItself) {
          throw new errors.InvalidClientMetadata(`${key} can only be set in the server configuration`);
        }
        if (key === INTROSPECTION_ALLOWED) {
          if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata(`${key} must be true or false`);
          return;
        }
        if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string' && entry.length > 0)) {
          throw new errors.InvalidClientMetadata(`${key} must be an array of non-empty strings`);
        }
        // A closed vocabulary makes a misspelt entry a startup error, not a silent denial.
        const vocabulary = MINTING_POLICY_METADATA[key];
        const unknown = vocabulary ? (value as string[]).find((entry) => !vocabulary.includes(entry)) : undefined;
        if (vocabulary && unknown !== undefined) {
          throw new errors.InvalidClientMetadata(`${key} may only contain ${vocabulary.join(', ')} (not ${unknown})`);
        }
      },
    },
    renderError: pages.renderError,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // An app may ask for an acr as essential (OpenID Connect Core §5.5.1.1): unmet, it gets unmet_authentication_requirements.
      claimsParameter: { enabled: true },
      introspection: {
        enabled: true,
        // oidc-provider's default answers any confidential client about any token: a client that
        // registered itself would read other clients' subjects and scopes.
        allowedPolicy: async (ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if ((client as unknown as Record<string, unknown>)[INTROSPECTION_ALLOWED] !== true) return false;
          // A token whose client is gone (forgotten unused, or deleted while it was being issued) is
          // active no more; oidc-provider would go on to read the missing client's subject type.
          return (await findClient(ctx.oidc.provider, token.clientId!)) !== undefined;
        },
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: pages.userCodeInputSource,
        userCodeConfirmSource: pages.userCodeConfirmSource,
        successSource: pages.successSource,
      },
      registration: {
        enabled: true,
        initialAccessToken: config.registration.initialAccessToken ?? false,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
      },
    },
  };

  const provider = new Provider(config.issuer, configuration);
  registerRefreshTokenGrant(provider, store, clock);
  enforceDevicePollingInterval(provider, store, config.deviceFlow.interval, clock);
  return provider;
}

/**
 * How the person an access token is for signed in, copied from what the token is issued from (an
 * authorization code, a device code, a refresh token): introspection answers it, and the minters
 * read it to judge a right that asks for a strong, recent sign-in.
 */
function signInOf(ctx: KoaContextWithOIDC | undefined): Record<string, unknown> | undefined {
  const entities = ctx?.oidc?.entities;
  const source = entities?.AuthorizationCode ?? entities?.DeviceCode ?? entities?.RefreshToken;
  if (!source) return undefined;
  return { acr: source.acr, amr: source.amr, auth_time: source.authTime };
}

function accountPageClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Your stagepass account',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${issuer}${ACCOUNT_SIGNED_IN_PATH}`],
  };
}

/** oidc-provider's default (the grant consented to, or the session's for the client), and for the account page one made at once. */
async function grantOrAccountPageGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  if (oidc.client!.clientId !== ACCOUNT_CLIENT_ID || !oidc.session!.accountId) return undefined;
  const grant = new oidc.provider.Grant({ clientId: ACCOUNT_CLIENT_ID, accountId: oidc.session!.accountId });
  grant.addOIDCScope('openid');
  await grant.save();
  return grant;
}

/**
 * The rules on a client's metadata as a whole, wherever it comes from (the configuration file, the
 * Admin API, registration): a public client proves nothing at the token endpoint, so a
 * client_credentials token in its name would go to anyone who asks. A client describing itself
 * may not take a scope only the configuration gives.
 */
function assertWholeClientAllowed(
  metadata: Readonly<Record<string, unknown>>,
  { describesItself, reservedScopes }: { describesItself: boolean; reservedScopes: readonly string[] },
): void {
  // What a client sends is stored as it is: past a few thousand levels, storing it would fail.
  const tooDeep = pathDeeperThan(metadata, MAX_JSON_DEPTH);
  if (tooDeep) throw new errors.InvalidClientMetadata(`${String(tooDeep[0])} nests deeper than ${MAX_JSON_DEPTH} levels`);
  const grantTypes = Array.isArray(metadata.grant_types) ? metadata.grant_types : [];
  if (metadata.token_endpoint_auth_method === 'none' && grantTypes.includes('client_credentials')) {
    throw new errors.InvalidClientMetadata(
      'grant_types may not include client_credentials for a public client (token_endpoint_auth_method none): anyone could obtain its tokens',
    );
  }
  if (!describesItself) return;
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ') : [];
  const reserved = scopes.find((scope) => reservedScopes.includes(scope));
  if (reserved) throw new errors.InvalidClientMetadata(`scope ${reserved} can only be given in the server configuration`);
}

/** oidc-provider validates static clients lazily; stagepass refuses to start with a broken one. */
export async function assertStaticClientsValid(provider: Provider, config: BaseConfig): Promise<void> {
  for (const [index, client] of config.clients.entries()) {
    try {
      await provider.Client.find(client.client_id);
    } catch (error) {
      const detail = (error as { error_description?: string }).error_description ?? (error as Error).message;
      throw new Error(`invalid config:\n  - clients.${index} (${client.client_id}): ${detail}`);
    }
  }
}
