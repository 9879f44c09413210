import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Credentials of an IAM identity the stand-in knows, as `ivs.forward` names them. */
export const IVS_IDENTITY = {
  region: 'us-west-2',
  accessKeyId: 'AKIASTANDIN0000TEST',
  secretAccessKey: 'stand-in-secret-access-key-0123456789abcdef',
  sessionToken: 'stand-in-session-token',
};

export interface Disconnection {
  stageArn: string;
  participantId: string;
  reason?: string;
}

/**
 * IVS real-time's DisconnectParticipant on loopback: it takes only requests SigV4-signed (signing
 * name `ivs`) by IVS_IDENTITY, its session token among the signed headers, and answers as IVS
 * does. The first `failing` signed requests get a 500 InternalServerException, as an IVS outage.
 */
export async function startIvsStandIn({ failing = 0 } = {}) {
  const taken: Disconnection[] = [];
  const refusals: string[] = [];
  let signedRequests = 0;
  const server = createServer((request, response) => void answer(request, response));
  async function answer(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '').split('?')[0];
    const signed = { body: Buffer.concat(chunks) };
    const reply = (status: number, exception: string | undefined, body: object) => {
      response.writeHead(status, { 'content-type': 'application/json', ...(exception ? { 'x-amzn-errortype': exception } : {}) });
      response.end(JSON.stringify(body));
    };
    const refusal = await signatureRefusal(request, signed.body);
    if (refusal !== undefined) {
      refusals.push(refusal);
      return reply(403, refusal, { message: `the stand-in refused the signature: ${refusal}` });
    }
    signedRequests += 1;
    if (request.method !== 'POST' || path !== '/DisconnectParticipant') return reply(404, 'UnknownOperationException', { message: 'not an operation' });
    if (signedRequests <= failing) return reply(500, 'InternalServerException', { exceptionMessage: 'the stand-in is down for now' });
    taken.push(JSON.parse(signed.body.toString('utf8')) as Disconnection);
    return reply(200, undefined, {});
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Disconnections taken, in order. */
    taken,
    /** Requests refused for their signature, by exception. */
    refusals,
    /** Every request that was signed right, taken or failed. */
    signedRequests: () => signedRequests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Why IVS would refuse the request's signature, or nothing: the signature is made again, with the
 * AWS SDK's own signer, from the identity's secret and the request as it arrived, and compared.
 */
async function signatureRefusal(request: IncomingMessage, body: Buffer): Promise<string | undefined> {
  const match = AUTHORIZATION.exec(request.headers.authorization ?? '');
  if (!match) return 'MissingAuthenticationTokenException';
  const [, accessKeyId, , region, service, signedHeaderList, signature] = match;
  if (accessKeyId !== IVS_IDENTITY.accessKeyId) return 'UnrecognizedClientException';
  const signedHeaders = signedHeaderList!.split(';');
  const token = request.headers['x-amz-security-token'];
  if (service !== 'ivs' || region !== IVS_IDENTITY.region || token !== IVS_IDENTITY.sessionToken || !signedHeaders.includes('x-amz-security-token')) {
    return 'InvalidSignatureException';
  }
  const date = String(request.headers['x-amz-date'] ?? '');
  const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name] ?? '')]));
  const [path = '', querystring = ''] = (request.url ?? '').split('?');
  const signer = new SignatureV4({ service: 'ivs', region, credentials: IVS_IDENTITY, sha256: Sha256, applyChecksum: false });
  const resigned = await signer.sign(
    new HttpRequest({ method: request.method!, protocol: 'http:', hostname: headers.host ?? '', path, query: Object.fromEntries(new URLSearchParams(querystring)), headers, body }),
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  return String(resigned.headers.authorization).endsWith(`Signature=${signature}`) ? undefined : 'InvalidSignatureException';
}
