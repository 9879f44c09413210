import { z } from 'zod';

import type { Audit } from '../../observability/audit.js';
import type { BanList } from '../common/ban-list.js';
import type { People } from '../common/people.js';
import type { Rights } from '../common/rights.js';
import { accessDenied, describe, invalidGrant, invalidTarget } from '../common/minting-error.js';
import type { MintingCaller } from '../common/minting-service.js';
import type { ParticipantRoll } from '../common/participants.js';
import { validate } from '../common/param-schema.js';
import { admissionOf, admissionRefusal, CHANGED, renewing } from './admission.js';
import { MAX_KEEP_OUT_SECONDS } from './config.js';
import type { KeepOuts } from './keep-out.js';
import { participantToken, type IvsParticipantToken } from './participant-answer.js';
import { admittedAs, type IvsParticipant, type IvsParticipantDirectory } from './participant-directory.js';
import type { IvsSigningKey } from './participant-token.js';
import { authorizeModeration, capabilitiesOn } from './policy.js';
import { attributesSchema, capabilitiesSchema } from './request.js';
import type { IvsStageDirectory } from './stage-directory.js';

/** Who moderates: an operator through the Admin API (always allowed), or a client (and the person it acts for) holding ivs_moderated_stage_arns. */
export type Moderator = { operator: string } | { caller: MintingCaller };

const changeSchema = z.object({ capabilities: capabilitiesSchema.optional(), attributes: attributesSchema.optional() })
  .refine(({ capabilities, attributes }) => capabilities !== undefined || attributes !== undefined, 'capabilities or attributes is required');

const REASON_RULE = 'must be at most 128 characters';
const KEEP_OUT_RULE = `must be a whole number of seconds from 0 to ${MAX_KEEP_OUT_SECONDS}`;
const disconnectionSchema = z.object({
  reason: z.string().max(128, REASON_RULE).optional(),
  keepOutSeconds: z.int(KEEP_OUT_RULE).min(0, KEEP_OUT_RULE).max(MAX_KEEP_OUT_SECONDS, KEEP_OUT_RULE).optional(),
});

/** What a moderator changes of a participant: its capabilities (promote, demote) and attributes, checked by the moderation. */
export type ParticipantChange = Readonly<Record<string, unknown>>;

/**
 * A changed participant, with its new token only for whom may hand it on: the client that
 * minted it, or an operator. Another moderator's change reaches the participant at its own
 * next exchange.
 */
export interface ChangedParticipant {
  participant: IvsParticipant;
  token?: IvsParticipantToken;
}

export interface ModerationDependencies {
  participants: IvsParticipantDirectory;
  stages: IvsStageDirectory;
  signingKey: IvsSigningKey;
  keepOuts: KeepOuts;
  bans: BanList;
  /** Whether a participant's person's account has ended: a change gives them no new token then. */
  people: Pick<People, 'isEnded'>;
  /** The rights of the client that minted a participant, as they are now; undefined once it is deleted. */
  clientRights(clientId: string): Promise<Rights | undefined>;
  audit: Audit;
  /** Epoch seconds. */
  now: () => number;
  /** How long a disconnection keeps its person out unless it says (ivs.keepOutSeconds). */
  keepOutSeconds: number;
  /** Told of every disconnection once it is recorded, to end the media session too. */
  disconnected(participant: IvsParticipant, reason: string | undefined): void;
}

/**
 * Promote, demote and disconnect the participants of a stage while they are on it. A change
 * stands for the participant's own next exchanges (and answers its new token to its own app or
 * an operator, to hand on); a disconnection ends the participant and keeps its person out of the stage.
 */
export class IvsModeration {
  constructor(private readonly deps: ModerationDependencies) {}

  async change(id: string, asked: Readonly<Record<string, unknown>>, moderator: Moderator, ip?: string): Promise<ChangedParticipant> {
    const change = validate(changeSchema, asked);
    return renewing(() => this.#changeOnce(id, change, moderator, ip));
  }

  /** The change made to the participant as it is read now; CHANGED when someone wrote it in between. */
  async #changeOnce(id: string, { capabilities, attributes }: z.infer<typeof changeSchema>, moderator: Moderator, ip?: string): Promise<ChangedParticipant | typeof CHANGED> {
    const participant = await this.#moderated(id, moderator);
    if (!participant.live) throw invalidGrant(describe`participant ${id} is no longer live on stage ${participant.resource}`);
    await this.#assertStillAdmitted(participant);
    const granted = capabilities ?? participant.capabilities;
    await this.#assertMinterAllows(participant, granted);
    const issuedAt = this.deps.now();
    const duration = Math.round((Date.parse(participant.expiresAt) - Date.parse(participant.issuedAt)) / 60_000);
    const changed: IvsParticipant = {
      ...participant,
      capabilities: [...granted],
      moderated: [...granted],
      attributes: attributes ?? participant.attributes,
      issuedAt: new Date(issuedAt * 1000).toISOString(),
      expiresAt: new Date((issuedAt + duration * 60) * 1000).toISOString(),
    };
    const stage = await this.deps.stages.find(participant.resource);
    if (!stage) throw invalidGrant(describe`stage ${participant.resource} no longer exists on this server`);
    const admitted = await this.deps.participants.renew(participant, changed, admissionOf(stage, changed, false));
    if (admitted.outcome === 'changed') return CHANGED;
    if (admitted.outcome !== 'admitted') throw admissionRefusal(admitted, participant.resource, stage);
    this.#audit('change', changed, actorOf(moderator), { capabilities: changed.capabilities, ...(ip === undefined ? {} : { ip }) });
    const handsOn = 'operator' in moderator || moderator.caller.clientId === participant.clientId;
    return { participant: changed, ...(handsOn ? { token: await participantToken(changed, stage, this.deps.signingKey, duration) } : {}) };
  }

  /** What an exchange refuses, a change refuses too: a person whose account ended, banned or kept out of the stage. */
  async #assertStillAdmitted(participant: IvsParticipant): Promise<void> {
    if (participant.person !== undefined && await this.deps.people.isEnded(participant.person)) {
      throw invalidGrant(describe`the participant was minted for an account that is disabled or deleted`);
    }
    await this.deps.bans.refuse(participant.userId, participant.resource);
    await this.deps.keepOuts.refuse(admittedAs(participant), participant.resource);
  }

  /** Ends the participant (again, for one already ended) and keeps its person out of the stage. */
  async disconnect(id: string, asked: Readonly<Record<string, unknown>>, moderator: Moderator, ip?: string, stageArn?: string): Promise<IvsParticipant> {
    const { reason, keepOutSeconds = this.deps.keepOutSeconds } = validate(disconnectionSchema, asked);
    // Policy first, when the stage is named: whether a participant is on a stage one may not moderate is not said.
    if (stageArn !== undefined && 'caller' in moderator) authorizeModeration(moderator.caller, stageArn);
    const participant = await this.#moderated(id, moderator);
    if (stageArn !== undefined && participant.resource !== stageArn) throw invalidTarget(describe`participant ${id} is not on stage ${stageArn}`);
    const at = new Date(this.deps.now() * 1000).toISOString();
    const by = byOf(moderator);
    await this.deps.participants.end(participant, { how: 'disconnected', at, by, ...(reason === undefined ? {} : { reason }) });
    const keptOut = admittedAs(participant);
    if (keptOut !== undefined) {
      const until = new Date((this.deps.now() + keepOutSeconds) * 1000).toISOString();
      await this.deps.keepOuts.keepOut(participant.resource, keptOut, { participantId: id, by, at, until, ...(reason === undefined ? {} : { reason }) }, keepOutSeconds);
    }
    this.#audit('disconnect', participant, actorOf(moderator), { keepOutSeconds, ...(reason === undefined ? {} : { reason }), ...(ip === undefined ? {} : { ip }) });
    this.deps.disconnected(participant, reason);
    return (await this.deps.participants.find(id)) ?? participant;
  }

  /** Ends the participants a newer one of the same person replaced (onePerPerson: replace), as a disconnection does but for the keep-out. */
  async replaced(ids: readonly string[], newer: IvsParticipant): Promise<void> {
    const at = new Date(this.deps.now() * 1000).toISOString();
    const reason = `replaced by participant ${newer.id}`;
    for (const id of ids) {
      const older = await this.deps.participants.find(id);
      if (!older) continue;
      await this.deps.participants.end(older, { how: 'replaced', at, by: newer.clientId, reason });
      this.#audit('replace', older, { by: newer.clientId }, { reason });
      this.deps.disconnected(older, reason);
    }
  }

  /** Ends the live participants of a client deleted or of a person whose account ended, freeing their places. */
  async endAll(ended: readonly IvsParticipant[], reason: string): Promise<void> {
    const at = new Date(this.deps.now() * 1000).toISOString();
    for (const participant of ended) {
      await this.deps.participants.end(participant, { how: 'disconnected', at, by: 'stagepass', reason });
      this.#audit('disconnect', participant, { by: 'stagepass' }, { reason });
      this.deps.disconnected(participant, reason);
    }
  }

  /** The participant's own app takes it off the stage: the client that minted it, for the same person. */
  async leave(id: string, caller: MintingCaller, ip?: string): Promise<void> {
    const participant = await this.deps.participants.find(id);
    if (!participant) throw invalidTarget(describe`participant ${id} does not exist`);
    if (participant.clientId !== caller.clientId) throw accessDenied(describe`participant ${id} was minted by another client`);
    if (participant.person !== undefined && caller.person?.id !== participant.person) throw accessDenied(describe`participant ${id} was minted for another person`);
    if (!participant.live) return;
    await this.deps.participants.end(participant, { how: 'left', at: new Date(this.deps.now() * 1000).toISOString(), by: caller.clientId });
    this.#audit('leave', participant, actorOf({ caller }), ip === undefined ? {} : { ip });
  }

  /** The participant, once the moderator may moderate its stage. Ids are random and long: knowing one says the token was seen. */
  async #moderated(id: string, moderator: Moderator): Promise<IvsParticipant> {
    const participant = await this.deps.participants.find(id);
    if (!participant) throw invalidTarget(describe`participant ${id} does not exist`);
    if ('caller' in moderator) authorizeModeration(moderator.caller, participant.resource);
    return participant;
  }

  /** A promotion goes beyond the person's groups, never beyond the rights of the client that minted the participant. */
  async #assertMinterAllows(participant: IvsParticipant, granted: readonly string[]): Promise<void> {
    const rights = await this.deps.clientRights(participant.clientId);
    if (!rights) throw invalidGrant(describe`client ${participant.clientId}, which minted the participant, no longer exists`);
    const allowed = capabilitiesOn(rights, participant.resource);
    const refused = granted.filter((capability) => !allowed.includes(capability as never));
    if (refused.length > 0) {
      throw accessDenied(describe`client ${participant.clientId}, which minted the participant, may not grant ${refused.join(' and ')} on stage ${participant.resource}`);
    }
  }

  #audit(action: 'change' | 'disconnect' | 'replace' | 'leave', participant: IvsParticipant, actor: Actor, more: object): void {
    this.deps.audit.participantAction({
      action, participantId: participant.id, resource: participant.resource, ...actor,
      ...(participant.userId === undefined ? {} : { userId: participant.userId }), ...more,
    });
  }
}

/** The participants as the Admin API reads and moderates them: an operator may moderate every stage. */
export function operatorsRoll(participants: IvsParticipantDirectory, moderation: IvsModeration): ParticipantRoll {
  return {
    page: (stageArn, limit, after) => participants.page(stageArn, limit, after),
    find: (id) => participants.find(id),
    async change(id, change, operator, ip) {
      const { token } = await moderation.change(id, change, { operator }, ip);
      const { expiresIn: _seconds, ...answer } = token!;
      return answer;
    },
    disconnect: (id, disconnection, operator, ip) => moderation.disconnect(id, disconnection, { operator }, ip),
  };
}

/** Who acted, as the audit trail names them. */
type Actor = { by: string; byUser?: string };

function actorOf(moderator: Moderator): Actor {
  const person = 'caller' in moderator ? moderator.caller.person?.id : undefined;
  return { by: byOf(moderator), ...(person === undefined ? {} : { byUser: person }) };
}

function byOf(moderator: Moderator): string {
  return 'operator' in moderator ? `admin:${moderator.operator}` : moderator.caller.clientId;
}
