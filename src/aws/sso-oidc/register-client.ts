import { randomBytes } from 'node:crypto';

import type { ClientMetadata, Provider } from 'oidc-provider';

import { DEVICE_CODE_GRANT_TYPE, saveClientWithLifetime } from '../../provider/oidc-provider-internals.js';
import { epochSeconds, oidcProviderClock } from '../../time/clock.js';
import { ssoOidcError, type SsoOidcErrorCode } from './errors.js';
import type { RegisterClientInput } from './inputs.js';

/** SSO OIDC clients' secrets last 90 days; the client is forgotten with its secret. */
const SECRET_LIFETIME_SECONDS = 90 * 86_400;
/** What a client registered without scopes may ask for: an ID token and a refresh token. */
export const DEFAULT_SCOPES = ['openid', 'offline_access'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE];
const REGISTRATION_ERRORS = new Set<string>(['invalid_client_metadata', 'invalid_redirect_uri', 'invalid_request']);

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/**
 * RegisterClient: SSO OIDC calls its clients public, yet gives each a secret that the device
 * authorization and token calls then send in their bodies. Here that is an oidc-provider native
 * client authenticating with client_secret_post, validated by oidc-provider like any registration.
 */
export interface RegistrationDependencies {
  provider: Provider;
  tokenEndpoint: string;
  /** Scopes only the server configuration gives a client (the admin API's). */
  reservedScopes: readonly string[];
}

export async function registerClient(input: RegisterClientInput, { provider, tokenEndpoint, reservedScopes }: RegistrationDependencies): Promise<RegisteredClient> {
  const grantTypes = input.grantTypes ?? [DEVICE_CODE_GRANT_TYPE, 'refresh_token'];
  const unsupported = grantTypes.find((grantType) => !GRANT_TYPES.includes(grantType));
  if (unsupported !== undefined) throw ssoOidcError('unsupported_grant_type', `grantTypes may only contain ${GRANT_TYPES.join(', ')} (not ${unsupported})`);
  const reserved = input.scopes?.find((scope) => reservedScopes.includes(scope));
  if (reserved !== undefined) throw ssoOidcError('invalid_scope', `scopes may not include ${reserved}: only the server configuration gives a client that scope`);

  // Client metadata is oidc-provider's, which checks the secret's expiry by its own clock.
  const issuedAt = epochSeconds(oidcProviderClock);
  const metadata = {
    client_id: randomBytes(16).toString('base64url'),
    client_secret: randomBytes(32).toString('base64url'),
    client_id_issued_at: issuedAt,
    client_secret_expires_at: issuedAt + SECRET_LIFETIME_SECONDS,
    client_name: input.clientName,
    application_type: 'native',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: input.redirectUris ?? [],
    scope: (input.scopes ?? DEFAULT_SCOPES).join(' '),
  } satisfies ClientMetadata;
  await provider.Client.validate(metadata).catch((error: { error?: string; error_description?: string }) => {
    if (!error.error || !REGISTRATION_ERRORS.has(error.error)) throw error;
    throw asRegistrationError(error.error as SsoOidcErrorCode, error.error_description ?? 'the client metadata is invalid');
  });
  await saveClientWithLifetime(provider, metadata, SECRET_LIFETIME_SECONDS);

  return {
    clientId: metadata.client_id,
    clientSecret: metadata.client_secret,
    clientIdIssuedAt: issuedAt,
    clientSecretExpiresAt: metadata.client_secret_expires_at,
    authorizationEndpoint: provider.urlFor('authorization'),
    tokenEndpoint,
  };
}

/** oidc-provider words an unknown scope as client metadata; SSO OIDC has an exception of its own for it. */
function asRegistrationError(code: SsoOidcErrorCode, description: string) {
  if (code === 'invalid_client_metadata' && description.startsWith('scope ')) {
    return ssoOidcError('invalid_scope', `scopes must only contain scopes this server offers (${description})`);
  }
  return ssoOidcError(code, description);
}
