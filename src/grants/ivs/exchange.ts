import { createPublicKey } from 'node:crypto';

import { jwtVerify, type JWTPayload } from 'jose';

import { accessDenied, describe, field, invalidGrant } from '../common/minting-error.js';
import type { BanList } from '../common/ban-list.js';
import type { MintingCaller } from '../common/minting-service.js';
import type { People } from '../common/people.js';
import { admissionOf, admissionRefusal, CHANGED, renewing } from './admission.js';
import { participantToken, type IvsParticipantToken } from './participant-answer.js';
import type { KeepOuts } from './keep-out.js';
import { admittedAs, type IvsParticipant, type IvsParticipantDirectory } from './participant-directory.js';
import type { IvsSigningKey } from './participant-token.js';
import { capabilitiesAllowedNow } from './policy.js';
import { validateIvsExchange, type IvsExchangeRequest, type IvsTokenInput } from './request.js';
import type { IvsStageDirectory } from './stage-directory.js';

/** The claims of a participant token that IVS requires to stay the same across an exchange. */
interface KeptClaims {
  jti: string;
  resource: string;
  events_url: string;
  whip_url: string;
}

/** What minting and exchanging participant tokens read and write. */
export interface IvsParticipantDependencies {
  stages: IvsStageDirectory;
  participants: IvsParticipantDirectory;
  signingKey: IvsSigningKey;
  bans: BanList;
  /** Who was disconnected from a stage and is kept out of it for a while. */
  keepOuts: KeepOuts;
  /** Whose groups decide what a person may hold now, and whether their account was ended. */
  people: Pick<People, 'find' | 'isEnded'>;
  /** Epoch seconds. */
  now: () => number;
  /** Ends the participants a newer one of the same person replaced (onePerPerson: replace). */
  replaced(ids: readonly string[], newer: IvsParticipant): Promise<void>;
}

/**
 * A new token for the participant a token minted here names: the same participant (its id, stage
 * and endpoints, which IVS's exchangeToken requires unchanged), with what it may carry decided
 * now, as at a first minting: the client's rights, the person's groups as they are now or what a
 * moderator set, bans. Only the client that minted it may; a person's participant only for that
 * person.
 */
export function participantExchange(deps: IvsParticipantDependencies) {
  return async (input: IvsTokenInput, caller: MintingCaller): Promise<IvsParticipantToken> => {
    const request = validateIvsExchange(input);
    const kept = await verifiedClaims(request.participantToken, deps);
    return renewing(() => exchangeOnce(request, kept, caller, deps));
  };
}

/** The exchange decided from the participant as it is read now; CHANGED when someone wrote it in between. */
async function exchangeOnce(request: IvsExchangeRequest, kept: KeptClaims, caller: MintingCaller, deps: IvsParticipantDependencies): Promise<IvsParticipantToken | typeof CHANGED> {
  const participant = await deps.participants.find(kept.jti);
  if (!participant || participant.resource !== kept.resource) throw invalidGrant(describe`${field('participantToken')} names no participant of this server`);
  if (participant.clientId !== caller.clientId) throw invalidGrant(describe`the participant was minted by another client`);
  const decider = await deciderOf(participant, caller, deps);
  if (participant.ended) throw invalidGrant(describe`the participant ${endingOf(participant)}`);
  await deps.bans.refuse(participant.userId, participant.resource);
  await deps.keepOuts.refuse(admittedAs(participant), participant.resource);
  const stage = await deps.stages.find(participant.resource);
  if (!stage) throw invalidGrant(describe`stage ${participant.resource} no longer exists on this server`);

  const renewed = renewedParticipant(participant, request, capabilitiesAllowedNow(decider, participant.resource, participant.moderated), deps.now());
  const admitted = await deps.participants.renew(participant, renewed, admissionOf(stage, renewed, false));
  if (admitted.outcome === 'changed') return CHANGED;
  if (admitted.outcome !== 'admitted') throw admissionRefusal(admitted, participant.resource, stage);
  return participantToken(renewed, { ...stage, eventsUrl: kept.events_url, whipUrl: kept.whip_url }, deps.signingKey, durationOf(renewed));
}

/** A token this server's IVS key signed and that has not expired: its claims. */
async function verifiedClaims(token: string, { signingKey, now }: IvsParticipantDependencies): Promise<KeptClaims> {
  const claims: JWTPayload = await jwtVerify(token, createPublicKey(signingKey.privateKey), {
    algorithms: ['ES384'], requiredClaims: ['jti', 'resource', 'exp'], currentDate: new Date(now() * 1000),
  }).then(({ payload }) => payload, () => {
    throw invalidGrant(describe`${field('participantToken')} is not an unexpired participant token of this server`);
  });
  return claims as unknown as KeptClaims;
}

/**
 * Who the decision is made for: the caller, with the participant's person as they are now. A
 * subject token must name that person; a confidential client that sends none exchanges for them.
 */
async function deciderOf(participant: IvsParticipant, caller: MintingCaller, { people }: IvsParticipantDependencies): Promise<MintingCaller> {
  if (participant.person === undefined) {
    if (caller.person) throw invalidGrant(describe`the participant was minted for no person: send no subject_token`);
    return caller;
  }
  if (caller.person && caller.person.id !== participant.person) throw invalidGrant(describe`the participant was minted for another person`);
  if (await people.isEnded(participant.person)) throw invalidGrant(describe`the participant was minted for an account that is disabled or deleted`);
  return { ...caller, person: caller.person ?? (await people.find(participant.person)) };
}

/** The participant with its new token's capabilities, attributes and times. */
function renewedParticipant(participant: IvsParticipant, request: IvsExchangeRequest, allowed: readonly string[], issuedAt: number): IvsParticipant {
  const asked = request.capabilities;
  const refused = asked?.filter((capability) => !allowed.includes(capability)) ?? [];
  if (refused.length > 0) {
    throw accessDenied(describe`the participant may not hold ${refused.join(' and ')} on stage ${participant.resource} now (allowed: ${allowed.join(', ') || 'none'})`);
  }
  const capabilities = asked ?? participant.capabilities.filter((capability) => allowed.includes(capability));
  if (capabilities.length === 0 && asked === undefined) {
    throw accessDenied(describe`the participant may hold no capability on stage ${participant.resource} now`);
  }
  const durationMinutes = request.durationMinutes ?? durationOf(participant);
  return {
    ...participant,
    capabilities: [...capabilities],
    attributes: request.attributes ?? participant.attributes,
    issuedAt: new Date(issuedAt * 1000).toISOString(),
    expiresAt: new Date((issuedAt + durationMinutes * 60) * 1000).toISOString(),
  };
}

/** Minutes from the participant's token's minting to its expiry. */
function durationOf({ issuedAt, expiresAt }: IvsParticipant): number {
  return Math.round((Date.parse(expiresAt) - Date.parse(issuedAt)) / 60_000);
}

function endingOf({ ended }: IvsParticipant): string {
  const { how, at, by, reason } = ended!;
  return `was ${how} by ${by} at ${at}${reason ? `: ${reason}` : ''}`;
}
