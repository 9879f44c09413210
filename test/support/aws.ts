import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export const REGION = 'us-west-2';

type Secret = { client_id: string; client_secret: string };

/** What an SDK client needs to sign as a stagepass client: its id and secret are the access key. */
export function sdkConfig(issuer: string, service: string, client: Secret, extra: Record<string, unknown> = {}) {
  return {
    region: REGION,
    endpoint: `${issuer}/aws/${service}`,
    credentials: { accessKeyId: client.client_id, secretAccessKey: client.client_secret },
    // Errors are what these tests expect; retrying them would only slow the suite down.
    maxAttempts: 1,
    ...extra,
  };
}

export interface RawSigning {
  /** The SigV4 signing name. */
  service: string;
  client: Secret;
  headers?: Record<string, string>;
  signingDate?: Date;
  /** The region in the credential scope; REGION unless given. */
  region?: string;
  /** Sent instead of the signed body, to tamper with a request after signing. */
  sentBody?: string;
  /** Added after signing, to send headers the signature does not cover. */
  unsignedHeaders?: Record<string, string>;
  /** Temporary credentials' session token, sent (and signed) as X-Amz-Security-Token. */
  sessionToken?: string;
}

/**
 * A request signed the way the SDKs sign, for what an SDK would never send: malformed JSON,
 * wrong types, a tampered body, another service's scope.
 */
export async function signedPost(url: string, body: string, signing: RawSigning) {
  const target = new URL(url);
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    headers: { host: target.host, 'content-type': 'application/json', ...signing.headers },
    body,
  });
  const signer = new SignatureV4({
    service: signing.service,
    region: signing.region ?? REGION,
    credentials: { accessKeyId: signing.client.client_id, secretAccessKey: signing.client.client_secret, ...(signing.sessionToken ? { sessionToken: signing.sessionToken } : {}) },
    sha256: Sha256,
  });
  const signed = await signer.sign(request, signing.signingDate ? { signingDate: signing.signingDate } : {});
  const response = await fetch(url, { method: 'POST', headers: { ...signed.headers, ...signing.unsignedHeaders }, body: signing.sentBody ?? body });
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: (await response.json()) as Record<string, unknown> };
}
