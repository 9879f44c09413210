import { AwsError, oauthTranslator, type OAuthDialect, type ExceptionTable } from '../aws-error.js';

/** SSO OIDC's exceptions are the OAuth error codes renamed; the body keeps the code. */
const EXCEPTIONS = {
  invalid_request: ['InvalidRequestException', 400],
  invalid_client: ['InvalidClientException', 401],
  invalid_grant: ['InvalidGrantException', 400],
  unauthorized_client: ['UnauthorizedClientException', 400],
  unsupported_grant_type: ['UnsupportedGrantTypeException', 400],
  invalid_scope: ['InvalidScopeException', 400],
  authorization_pending: ['AuthorizationPendingException', 400],
  slow_down: ['SlowDownException', 400],
  access_denied: ['AccessDeniedException', 400],
  expired_token: ['ExpiredTokenException', 400],
  server_error: ['InternalServerException', 500],
  invalid_client_metadata: ['InvalidClientMetadataException', 400],
  invalid_redirect_uri: ['InvalidRedirectUriException', 400],
} as const satisfies ExceptionTable;

/** The OAuth parameters oidc-provider names in its descriptions, as SSO OIDC callers send them. */
const FIELD_NAMES = {
  client_id: 'clientId',
  client_secret: 'clientSecret',
  grant_type: 'grantType',
  device_code: 'deviceCode',
  refresh_token: 'refreshToken',
  redirect_uri: 'redirectUri',
  redirect_uris: 'redirectUris',
  code_verifier: 'codeVerifier',
  grant_types: 'grantTypes',
  client_name: 'clientName',
};

export type SsoOidcErrorCode = keyof typeof EXCEPTIONS;

/** An error as SSO OIDC answers it: the exception for the OAuth code, which the body carries. */
export function ssoOidcError(code: SsoOidcErrorCode, description: string): AwsError {
  const [exception, status] = EXCEPTIONS[code];
  return new AwsError(exception, status, description, { oauthError: code });
}

export const SSO_OIDC_ERRORS: OAuthDialect = {
  // `message` as well, which the SDKs turn into the error's message.
  body: (error) => ({
    error: error.details.oauthError ?? (error.status >= 500 ? 'server_error' : 'invalid_request'),
    error_description: error.message,
    message: error.message,
  }),
  fromOAuth: oauthTranslator(EXCEPTIONS, { client: EXCEPTIONS.invalid_request, server: EXCEPTIONS.server_error }, FIELD_NAMES),
  validation: (message) => ssoOidcError('invalid_request', message),
  internal: (message) => ssoOidcError('server_error', message),
};
