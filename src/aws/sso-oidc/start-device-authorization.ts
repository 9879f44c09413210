import type { Provider } from 'oidc-provider';

import { presentCredentials } from '../client-credentials.js';
import type { Dispatch, RequestOrigin } from '../in-process-dispatch.js';
import { SSO_OIDC_ERRORS } from './errors.js';
import type { StartDeviceAuthorizationInput } from './inputs.js';
import { DEFAULT_SCOPES } from './register-client.js';

/** RFC 8628 §3.2, with the interval stagepass adds. */
interface DeviceAuthorizationAnswer {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

/**
 * StartDeviceAuthorization, answered by stagepass's device authorization endpoint: the person
 * completes it on the same device pages as any other device. SSO OIDC sends no scope here, so the
 * client asks for the scopes it was registered with.
 */
export async function startDeviceAuthorization(
  input: StartDeviceAuthorizationInput,
  { provider, dispatch, path }: { provider: Provider; dispatch: Dispatch; path: string },
  origin: RequestOrigin,
): Promise<DeviceAuthorization> {
  const client = await provider.Client.find(input.clientId);
  const credentials = presentCredentials(client, input.clientId, input.clientSecret);
  const answer = await dispatch({
    method: 'POST',
    path,
    form: { ...credentials.form, scope: client?.scope ?? DEFAULT_SCOPES.join(' ') },
    headers: credentials.headers,
  }, origin);
  if (answer.status !== 200) throw SSO_OIDC_ERRORS.fromOAuth(answer);
  const body = answer.body as unknown as DeviceAuthorizationAnswer;
  return {
    deviceCode: body.device_code,
    userCode: body.user_code,
    verificationUri: body.verification_uri,
    verificationUriComplete: body.verification_uri_complete,
    expiresIn: body.expires_in,
    interval: body.interval,
  };
}
