import { createHmac, createPrivateKey, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { stringify } from 'node:querystring';

import { signCompactJws } from '../../keys/compact-jws.js';

export type VideoRole = 'publisher' | 'publisheronly' | 'subscriber' | 'moderator';

export interface VideoTokenClaims {
  sessionId: string;
  role: VideoRole;
  /** Epoch seconds; also the token's create_time. */
  issuedAt: number;
  /** Epoch seconds; also the JWT's exp. */
  expireTime: number;
  /** Left out of the token when empty, as every SDK leaves it out. */
  connectionData?: string;
  initialLayoutClassList?: string[];
  /**
   * A number, because opentok-node sends Math.random() and the Python and PHP SDKs random
   * integers: a JWT nonce is a JSON number in every SDK. A fresh one is drawn when absent.
   * Vonage application tokens carry a jti instead and ignore it.
   */
  nonce?: number;
}

export interface VideoProjectCredentials {
  apiKey: string;
  /** The secret as text, or imported once as a secret KeyObject. */
  apiSecret: string | KeyObject;
}

export interface VonageApplicationCredentials {
  applicationId: string;
  /** An RSA private key, or its PEM text. */
  privateKey: KeyObject | string;
}

const T1_SENTINEL = 'T1==';
const SCOPE = 'session.connect';
/** opentok-token writes partner_id unescaped, so only characters a query string never escapes are safe. */
const PARTNER_ID_SHAPE = /^[A-Za-z0-9._~-]+$/;

/**
 * A legacy T1 token as opentok-node's generateToken(sessionId, opts, true) builds it through
 * opentok-token: `T1==` + base64 of `partner_id=<key>&sig=<hex HMAC-SHA1 of data>:<data>`.
 */
export function encodeT1VideoToken(claims: VideoTokenClaims, credentials: VideoProjectCredentials): string {
  if (!PARTNER_ID_SHAPE.test(credentials.apiKey)) {
    throw new RangeError('apiKey must be letters, digits, ".", "_", "~" or "-"');
  }
  // node:querystring escapes exactly as opentok-token does, byte for byte (%20 for space, UTF-8).
  const data = stringify(projectTokenData(claims));
  const sig = createHmac('sha1', credentials.apiSecret).update(data).digest('hex');
  return T1_SENTINEL + Buffer.from(`partner_id=${credentials.apiKey}&sig=${sig}:${data}`).toString('base64');
}

/** The HS256 client token opentok-node (2.19 and later) makes by default, claims in its order. */
export async function encodeJwtVideoToken(claims: VideoTokenClaims, credentials: VideoProjectCredentials): Promise<string> {
  const payload = { iss: credentials.apiKey, ist: 'project', iat: claims.issuedAt, exp: claims.expireTime, ...projectTokenData(claims) };
  const key = typeof credentials.apiSecret === 'string' ? createSecretKey(Buffer.from(credentials.apiSecret)) : credentials.apiSecret;
  return signCompactJws({ alg: 'HS256', typ: 'JWT' }, payload, { alg: 'HS256', key });
}

/**
 * The RS256 client token @vonage/video's generateClientToken (and opentok-node given application
 * credentials) makes: its claims first, then the jti, iat and application_id @vonage/jwt adds.
 */
export async function encodeVonageApplicationVideoToken(
  claims: VideoTokenClaims,
  credentials: VonageApplicationCredentials,
): Promise<string> {
  const payload = {
    scope: SCOPE,
    session_id: claims.sessionId,
    role: claims.role,
    initial_layout_class_list: layoutClassList(claims),
    exp: claims.expireTime,
    sub: 'video',
    acl: { paths: { '/session/**': {} } },
    ...connectionData(claims),
    jti: randomUUID(),
    iat: claims.issuedAt,
    application_id: credentials.applicationId,
  };
  const key = typeof credentials.privateKey === 'string' ? createPrivateKey(credentials.privateKey) : credentials.privateKey;
  return signCompactJws({ alg: 'RS256', typ: 'JWT' }, payload, { alg: 'RS256', key });
}

/** A fraction in [0, 1) with Math.random()'s 53 bits, the nonce opentok-node sends, but from the CSPRNG. */
export function newNonce(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) / 2 ** 53;
}

/** The fields opentok-node's generateToken picks for T1 data and JWT claims alike, in its order. */
function projectTokenData(claims: VideoTokenClaims) {
  return {
    session_id: claims.sessionId,
    create_time: claims.issuedAt,
    nonce: claims.nonce ?? newNonce(),
    role: claims.role,
    expire_time: claims.expireTime,
    ...connectionData(claims),
    initial_layout_class_list: layoutClassList(claims),
    scope: SCOPE,
  };
}

function connectionData(claims: VideoTokenClaims): { connection_data?: string } {
  return claims.connectionData ? { connection_data: claims.connectionData } : {};
}

function layoutClassList(claims: VideoTokenClaims): string {
  return (claims.initialLayoutClassList ?? []).join(' ');
}
