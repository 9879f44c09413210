import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';

/**
 * Vonage issues ids under both "1_" and "2_" in the same months with the same payload, and no
 * SDK reads the prefix: opentok-node, the Ruby and the Python SDKs all drop the first two
 * characters unread. "1_" is what opentok-token's own test session carries.
 */
const PREFIX = '1_';
const LAYOUT_VERSION = '1';
const SEPARATOR = '~';
/** 18 bytes give the 24 base64 characters every issued id carries in this field. */
const RANDOM_BYTES = 18;
/**
 * Ids issued since about 2022 end with one empty field more than earlier ones; what Vonage keeps
 * there is not published. "P" is present in some issued ids and absent from others; it is taken
 * here to mark a relayed session, from the p2p.preference name the create-session API uses.
 */
const RELAYED_FLAG = 'P';
const SESSION_ID_SHAPE = /^[0-9]_[A-Za-z0-9_-]+$/;
/** Printable ASCII short of '~' (0x7e), which would split the key into two fields. */
const API_KEY_SHAPE = /^[\x20-\x7d]+$/;

export interface VideoSessionIdInput {
  apiKey: string;
  /** An IPv4 address, the location hint OpenTok's create-session call accepts. */
  location?: string;
  createdAt: Date;
  mediaMode: 'routed' | 'relayed';
}

/**
 * Builds an OpenTok session id: a prefix, then URL-safe base64 (unpadded, as issued ids are) of
 * `1~<apiKey>~<location>~<creation ms>~<random>~<P if relayed>~~`. Only the API key field is
 * ever read by an SDK, to refuse tokens for sessions of another project.
 */
export function encodeVideoSessionId(input: VideoSessionIdInput): string {
  const fields = [
    LAYOUT_VERSION,
    checkedApiKey(input.apiKey),
    checkedLocation(input.location),
    String(checkedTime(input.createdAt)),
    randomBytes(RANDOM_BYTES).toString('base64'),
    input.mediaMode === 'relayed' ? RELAYED_FLAG : '',
    '',
    '',
  ];
  return PREFIX + Buffer.from(fields.join(SEPARATOR), 'ascii').toString('base64url');
}

/**
 * Reads the API key out of a session id as opentok-node's decodeSessionId does (drop two
 * characters, base64 with '-' and '_' for '+' and '/', split on '~', field 1), but answers
 * undefined where opentok-node would read garbage: a prefix other than a digit and '_', characters
 * outside base64url, a length no base64 can have, bytes that are not printable ASCII, a layout
 * version other than 1, or an empty key.
 */
export function videoSessionApiKey(sessionId: string): string | undefined {
  return payloadOf(sessionId)?.apiKey;
}

/**
 * The one spelling of a session id: what an SDK reads of it is its payload, and every id with that
 * payload names the same session, whatever its prefix and whatever the unused low bits of its last
 * base64 character hold. Undefined for what is not a session id.
 */
export function canonicalVideoSessionId(sessionId: string): string | undefined {
  const payload = payloadOf(sessionId)?.bytes;
  return payload && PREFIX + payload.toString('base64url');
}

function payloadOf(sessionId: string): { bytes: Buffer; apiKey: string } | undefined {
  if (!SESSION_ID_SHAPE.test(sessionId)) return undefined;
  const body = sessionId.slice(PREFIX.length);
  if (body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  if (!bytes.every(isPrintableAscii)) return undefined;
  const [version, apiKey, ...rest] = bytes.toString('ascii').split(SEPARATOR);
  if (version !== LAYOUT_VERSION || !apiKey || rest.length === 0) return undefined;
  return { bytes, apiKey };
}

function checkedApiKey(apiKey: string): string {
  if (!API_KEY_SHAPE.test(apiKey)) {
    throw new RangeError('apiKey must be non-empty printable ASCII without "~"');
  }
  return apiKey;
}

function checkedLocation(location: string | undefined): string {
  if (location === undefined) return '';
  if (!isIPv4(location)) throw new RangeError('location must be an IPv4 address');
  return location;
}

function checkedTime(createdAt: Date): number {
  const ms = createdAt.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('createdAt must be a valid date after 1970');
  return ms;
}

function isPrintableAscii(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e;
}
