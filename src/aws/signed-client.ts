import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';

import { type Clock, epochSeconds, oidcProviderClock } from '../time/clock.js';
import { assertSignatureMatches, readSigV4Authorization, SigV4Error, type SignedRequest } from './sigv4.js';

/** A client as oidc-provider finds it. */
export type Client = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

export interface SignedClient {
  client: Client;
  /** The client secret that signed the request, to present to stagepass's own endpoints. */
  clientSecret: string;
  /** The region the request was signed for; resources created get it in their ARN, as on AWS. */
  region: string;
}

/**
 * SigV4 with stagepass clients as the keys: the access key id is a client_id and the secret access
 * key its client_secret. Public clients and clients whose secret expired have no key. The request's
 * date is held to the server's `clock`.
 */
export async function authenticateSignedClient(request: SignedRequest, provider: Provider, service: string, clock: Clock): Promise<SignedClient> {
  const authorization = readSigV4Authorization(request, service, new Date(clock.now()));
  if (request.headers['x-amz-security-token'] !== undefined) {
    throw new SigV4Error('UnrecognizedClientException', 'temporary credentials (X-Amz-Security-Token) are not accepted here: sign with a client id and client secret');
  }
  const client = await provider.Client.find(authorization.accessKeyId);
  const clientSecret = client?.clientSecret;
  if (!client || clientSecret === undefined || client.clientAuthMethod === 'none') {
    throw new SigV4Error('UnrecognizedClientException', `the access key id ${authorization.accessKeyId} is not a client of this server with a secret`);
  }
  // The expiry is oidc-provider's, which the token endpoint checks by its own clock: judged by the
  // same one here, a secret has expired for both or for neither.
  if (client.clientSecretExpiresAt && client.clientSecretExpiresAt <= epochSeconds(oidcProviderClock)) {
    throw new SigV4Error('UnrecognizedClientException', `the secret of client ${client.clientId} has expired`);
  }
  await assertSignatureMatches(request, authorization, service, clientSecret);
  return { client, clientSecret, region: authorization.region };
}

/**
 * SigV4 with temporary credentials (X-Amz-Security-Token, which must be signed as every x-amz-*
 * header is): `resolve` finds the secret of the access key id and session token, and who they act
 * for, while they live.
 */
export async function authenticateTemporarySigned<Holder>(
  request: SignedRequest,
  service: string,
  clock: Clock,
  resolve: (accessKeyId: string, sessionToken: string) => Promise<{ secretAccessKey: string; holder: Holder } | undefined>,
): Promise<Holder> {
  const authorization = readSigV4Authorization(request, service, new Date(clock.now()));
  const sessionToken = request.headers['x-amz-security-token'];
  const found = typeof sessionToken === 'string' ? await resolve(authorization.accessKeyId, sessionToken) : undefined;
  if (!found) throw new SigV4Error('UnrecognizedClientException', 'the security token included in the request is invalid or has expired');
  await assertSignatureMatches(request, authorization, service, found.secretAccessKey);
  return found.holder;
}

/** The request as received: the raw path and query, every header and the exact body bytes. */
export function signedRequestOf(ctx: Context, body: Buffer): SignedRequest {
  return { method: ctx.method, path: ctx.path, querystring: ctx.querystring, headers: ctx.req.headers, body };
}
