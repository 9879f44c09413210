import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** The request as it arrived, before anything decoded or parsed it: that is what was signed. */
export interface SignedRequest {
  method: string;
  /** The path as sent, still percent-encoded. */
  path: string;
  /** The raw query string, without '?'. */
  querystring: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the Authorization header claims; nothing here is trusted until the signature matches. */
export interface SigV4Authorization {
  accessKeyId: string;
  region: string;
  signingDate: Date;
  signedHeaders: string[];
  signature: string;
}

export type SigV4Refusal =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException';

/** Every SigV4 refusal is a 403; the exception name tells the SDK (and its user) which check failed. */
export class SigV4Error extends Error {
  constructor(readonly exception: SigV4Refusal, message: string) {
    super(message);
  }
}

/** The access key id (a client id) an Authorization header names, whether or not it signed: for the audit trail. */
export function claimedAccessKeyId(authorizationHeader: string): string | undefined {
  return /^AWS4-HMAC-SHA256 Credential=([^/\s,]{1,128})\//.exec(authorizationHeader)?.[1];
}

/** AWS accepts a signature made up to 15 minutes either side of its own clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTHORIZATION_SHAPE =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/**
 * us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1: the region becomes part of the ARNs
 * of the resources a request creates, so one of any other shape or length is refused.
 */
const REGION_SHAPE = /^[a-z]{2,4}(?:-[a-z]{2,10}){1,3}-\d{1,2}$/;
const AMZ_DATE_SHAPE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Reads the Authorization header and checks everything that needs no secret: the scope names this
 * service and the request's own date, the date is within the allowed skew, the headers that matter
 * are signed, and the payload hash (when sent) is the body's.
 */
export function readSigV4Authorization(request: SignedRequest, service: string, now: Date): SigV4Authorization {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw new SigV4Error('MissingAuthenticationTokenException', 'the request is not signed: an AWS Signature Version 4 Authorization header is required');
  }
  const match = AUTHORIZATION_SHAPE.exec(header);
  if (!match) {
    throw new SigV4Error('IncompleteSignatureException', 'the Authorization header must be AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…');
  }
  const [, accessKeyId = '', scopeDate = '', region = '', scopeService = '', signedHeaderList = '', signature = ''] = match;
  if (!REGION_SHAPE.test(region)) {
    throw new SigV4Error('InvalidSignatureException', 'the credential must be scoped to an AWS region, such as us-west-2');
  }
  if (scopeService !== service) {
    throw new SigV4Error('InvalidSignatureException', `the credential must be scoped to the service '${service}', not '${scopeService}'`);
  }
  const amzDate = singleHeader(request.headers, 'x-amz-date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) throw new SigV4Error('IncompleteSignatureException', 'X-Amz-Date must be sent as YYYYMMDDTHHMMSSZ');
  if (amzDate.slice(0, 8) !== scopeDate) {
    throw new SigV4Error('InvalidSignatureException', `the credential scope date ${scopeDate} is not the date of X-Amz-Date ${amzDate}`);
  }
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error('InvalidSignatureException', `signature expired: ${amzDate} is more than 15 minutes from the server time ${formatAmzDate(now)}`);
  }
  const signedHeaders = signedHeaderList.split(';');
  assertRequiredHeadersSigned(request.headers, signedHeaders);
  assertPayloadHashMatches(request);
  return { accessKeyId, region, signingDate, signedHeaders, signature };
}

/**
 * Computes the signature the holder of `secretAccessKey` would have made for this request, with
 * the SDK's own signer, and compares it in constant time.
 */
export async function assertSignatureMatches(request: SignedRequest, authorization: SigV4Authorization, service: string, secretAccessKey: string): Promise<void> {
  const signer = new SignatureV4({
    service,
    region: authorization.region,
    credentials: { accessKeyId: authorization.accessKeyId, secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(toHttpRequest(request, authorization.signedHeaders), {
    signingDate: authorization.signingDate,
    // Headers the signer would normally leave out are in the signature when the client chose to sign them.
    signableHeaders: new Set(authorization.signedHeaders),
  });
  const expected = Buffer.from(/Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization))?.[1] ?? '', 'latin1');
  const given = Buffer.from(authorization.signature, 'latin1');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new SigV4Error('InvalidSignatureException', 'the request signature does not match: check the secret access key (the client secret) and how the request was signed');
  }
}

/** Only the signed headers take part, with their values as received. */
function toHttpRequest(request: SignedRequest, signedHeaders: string[]): HttpRequest {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = singleHeader(request.headers, name) ?? '';
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(request.querystring)) {
    const earlier = query[name];
    query[name] = earlier === undefined ? value : [earlier, value].flat();
  }
  return new HttpRequest({ method: request.method, protocol: 'http:', hostname: headers.host ?? '', path: request.path, query, headers, body: request.body });
}

/**
 * Host and date always, and every x-amz-* header sent: X-Amz-Target names the operation and
 * X-Amz-Content-Sha256 the body, so an unsigned one could be swapped under a valid signature.
 */
function assertRequiredHeadersSigned(headers: IncomingHttpHeaders, signedHeaders: string[]): void {
  const required = ['host', 'x-amz-date', ...Object.keys(headers).filter((name) => name.startsWith('x-amz-'))];
  const unsigned = required.filter((name) => !signedHeaders.includes(name));
  if (unsigned.length > 0) throw new SigV4Error('InvalidSignatureException', `these headers must be signed: ${unsigned.join(', ')}`);
  const missing = signedHeaders.filter((name) => headers[name] === undefined);
  if (missing.length > 0) throw new SigV4Error('IncompleteSignatureException', `signed headers missing from the request: ${missing.join(', ')}`);
}

/** The signer trusts X-Amz-Content-Sha256 as the payload hash, so the claim is checked against the body. */
function assertPayloadHashMatches(request: SignedRequest): void {
  const claimed = singleHeader(request.headers, 'x-amz-content-sha256');
  if (claimed === undefined) return;
  if (claimed !== createHash('sha256').update(request.body).digest('hex')) {
    throw new SigV4Error('InvalidSignatureException', 'X-Amz-Content-Sha256 is not the SHA-256 of the request body');
  }
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): Date | undefined {
  const parts = AMZ_DATE_SHAPE.exec(value);
  if (!parts) return undefined;
  const [year, month, day, hours, minutes, seconds] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds));
  return Number.isNaN(date.getTime()) || formatAmzDate(date) !== value ? undefined : date;
}

function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
