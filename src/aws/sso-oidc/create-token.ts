import type { Provider } from 'oidc-provider';

import { DEVICE_CODE_GRANT_TYPE } from '../../provider/oidc-provider-internals.js';
import { presentCredentials } from '../client-credentials.js';
import type { Dispatch, RequestOrigin } from '../in-process-dispatch.js';
import { SSO_OIDC_ERRORS, ssoOidcError } from './errors.js';
import type { CreateTokenInput } from './inputs.js';

const GRANT_TYPES = [DEVICE_CODE_GRANT_TYPE, 'refresh_token', 'authorization_code'];

interface TokenEndpointAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  id_token?: string;
}

export interface CreatedToken {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  refreshToken?: string;
  idToken?: string;
}

/**
 * CreateToken, answered by stagepass's token endpoint: polling a device code, redeeming an
 * authorization code with its PKCE verifier, or rotating a refresh token, with the same rules
 * (slow_down, rotation, reuse detection) as a form post to /token.
 */
export async function createToken(
  input: CreateTokenInput,
  { provider, dispatch, path }: { provider: Provider; dispatch: Dispatch; path: string },
  origin: RequestOrigin,
): Promise<CreatedToken> {
  // The token endpoint would mint with any grant the client holds; SSO OIDC offers these three.
  if (!GRANT_TYPES.includes(input.grantType)) {
    throw ssoOidcError('unsupported_grant_type', `grantType must be one of ${GRANT_TYPES.join(', ')}`);
  }
  const client = await provider.Client.find(input.clientId);
  const credentials = presentCredentials(client, input.clientId, input.clientSecret);
  const answer = await dispatch({
    method: 'POST',
    path,
    form: {
      grant_type: input.grantType,
      ...credentials.form,
      device_code: input.deviceCode,
      code: input.code,
      refresh_token: input.refreshToken,
      redirect_uri: input.redirectUri,
      code_verifier: input.codeVerifier,
      scope: input.scope?.join(' '),
    },
    headers: credentials.headers,
  }, origin);
  if (answer.status !== 200) throw SSO_OIDC_ERRORS.fromOAuth(answer);
  const body = answer.body as unknown as TokenEndpointAnswer;
  return {
    accessToken: body.access_token,
    tokenType: body.token_type,
    expiresIn: body.expires_in,
    ...(body.refresh_token === undefined ? {} : { refreshToken: body.refresh_token }),
    ...(body.id_token === undefined ? {} : { idToken: body.id_token }),
  };
}
