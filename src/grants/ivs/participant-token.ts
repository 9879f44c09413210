import { randomBytes, type KeyObject } from 'node:crypto';

import { signCompactJws } from '../../keys/compact-jws.js';

export type IvsCapability = 'PUBLISH' | 'SUBSCRIBE';
export const IVS_CAPABILITIES: readonly IvsCapability[] = ['PUBLISH', 'SUBSCRIBE'];

export interface IvsParticipantClaims {
  participantId: string;
  stageArn: string;
  eventsUrl: string;
  whipUrl: string;
  userId?: string;
  attributes?: Record<string, string>;
  capabilities: IvsCapability[];
  /** Epoch seconds. */
  issuedAt: number;
  durationMinutes: number;
}

export interface IvsSigningKey {
  /** A P-384 private key, imported once by the caller and reused for every token. */
  privateKey: KeyObject;
  /** The ARN IVS gave the matching public key on ImportPublicKey; IVS finds the key by it. */
  publicKeyArn: string;
}

const CAPABILITY_CLAIMS: Record<IvsCapability, 'allow_publish' | 'allow_subscribe'> = {
  PUBLISH: 'allow_publish',
  SUBSCRIBE: 'allow_subscribe',
};

/** IVS refuses any other participant id. */
const PARTICIPANT_ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

/** Signs an IVS real-time participant token in the self-signed format. */
export async function encodeIvsParticipantToken(claims: IvsParticipantClaims, key: IvsSigningKey): Promise<string> {
  assertEncodable(claims);
  return signCompactJws({ alg: 'ES384', typ: 'JWT', kid: key.publicKeyArn }, payloadOf(claims), { alg: 'ES384', key: key.privateKey });
}

/** The stage id IVS expects in `topic`: the ARN's resource id after `stage/`. */
export function stageIdOf(stageArn: string): string {
  const match = /:stage\/([^/]+)$/.exec(stageArn);
  if (!match?.[1]) throw new Error(`'${stageArn}' is not an IVS stage ARN`);
  return match[1];
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;
/** Bytes at or above this would favour the first letters of the alphabet, so they are drawn again. */
const UNBIASED_BYTE_LIMIT = 256 - (256 % ID_ALPHABET.length);

/** A participant id shaped like those IVS issues itself: 12 alphanumerics. */
export function newParticipantId(): string {
  let id = '';
  while (id.length < ID_LENGTH) {
    for (const byte of randomBytes(ID_LENGTH)) {
      if (byte < UNBIASED_BYTE_LIMIT && id.length < ID_LENGTH) id += ID_ALPHABET.charAt(byte % ID_ALPHABET.length);
    }
  }
  return id;
}

function payloadOf(claims: IvsParticipantClaims) {
  return {
    exp: claims.issuedAt + claims.durationMinutes * 60,
    iat: claims.issuedAt,
    jti: claims.participantId,
    resource: claims.stageArn,
    topic: stageIdOf(claims.stageArn),
    events_url: claims.eventsUrl,
    whip_url: claims.whipUrl,
    ...(claims.userId === undefined ? {} : { user_id: claims.userId }),
    ...(claims.attributes === undefined ? {} : { attributes: claims.attributes }),
    // IVS's own tokens list only the granted capabilities; a false entry would differ from them.
    capabilities: Object.fromEntries(claims.capabilities.map((c) => [CAPABILITY_CLAIMS[c], true])),
    version: '1.0',
  };
}

/**
 * Refuses what would produce a token IVS rejects: a participant id outside its alphabet, or times
 * with a fraction (say, Date.now() / 1000) where IVS expects whole seconds.
 */
function assertEncodable({ participantId, issuedAt, durationMinutes }: IvsParticipantClaims): void {
  if (!PARTICIPANT_ID_SHAPE.test(participantId)) {
    throw new RangeError('participantId must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');
  }
  if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(durationMinutes) || durationMinutes < 1) {
    throw new RangeError('issuedAt must be whole epoch seconds and durationMinutes a whole number of at least 1');
  }
}
