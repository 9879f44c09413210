import type { IvsParticipant } from './participant-directory.js';
import { encodeIvsParticipantToken, type IvsCapability, type IvsSigningKey } from './participant-token.js';
import type { IvsStage } from './stage-directory.js';

/** A participant token, in the shape IVS's CreateParticipantToken answers. */
export interface IvsParticipantToken {
  participantId: string;
  token: string;
  userId?: string;
  attributes: Record<string, string>;
  /** Minutes. */
  duration: number;
  capabilities: IvsCapability[];
  expirationTime: string;
  /** Seconds. */
  expiresIn: number;
}

/** The participant's token, signed, in CreateParticipantToken's shape. */
export async function participantToken(
  participant: IvsParticipant,
  stage: IvsStage,
  signingKey: IvsSigningKey,
  durationMinutes: number,
): Promise<IvsParticipantToken> {
  const issuedAt = Date.parse(participant.issuedAt) / 1000;
  const token = await encodeIvsParticipantToken({
    participantId: participant.id,
    stageArn: stage.arn,
    eventsUrl: stage.eventsUrl,
    whipUrl: stage.whipUrl,
    userId: participant.userId,
    // An empty object is left out, as a first token minted without attributes left it out.
    attributes: Object.keys(participant.attributes).length === 0 ? undefined : participant.attributes,
    capabilities: participant.capabilities,
    issuedAt,
    durationMinutes,
  }, signingKey);
  return {
    participantId: participant.id,
    token,
    ...(participant.userId === undefined ? {} : { userId: participant.userId }),
    attributes: participant.attributes,
    duration: durationMinutes,
    capabilities: participant.capabilities,
    expirationTime: participant.expiresAt,
    expiresIn: durationMinutes * 60,
  };
}

