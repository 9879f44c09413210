import { z } from 'zod';

import { describe, invalidGrant, MintingError, resourceLimitExceeded } from '../common/minting-error.js';
import type { Admission, AdmissionOutcome, IvsParticipant } from './participant-directory.js';
import { admittedAs, participantsOf, PUBLISHERS } from './participant-directory.js';

/** IVS itself allows 12 publishers per stage, and (adjustably) 10,000 subscribers. */
const MAX_LIMIT = 100_000;

/** Who a stage lets in, counted over its live participants on every instance. */
export const stageAdmissionFields = {
  maxParticipants: z.int().min(1).max(MAX_LIMIT).optional().meta({ description: 'the most live participants the stage admits at once' }),
  maxPublishers: z.int().min(1).max(MAX_LIMIT).optional().meta({ description: 'the most live participants that may PUBLISH at once' }),
  onePerPerson: z.enum(['reject', 'replace']).optional().meta({
    description: 'one live participant per person (the subject token\'s person, or the user id a client minting for itself names): `reject` refuses a second, `replace` admits it and disconnects the older',
  }),
};

export type StageAdmission = { maxParticipants?: number; maxPublishers?: number; onePerPerson?: 'reject' | 'replace' };

/**
 * What a participant's admission is held to: the stage's limits, and at a first admission its
 * person's other live participants (refused, or replaced). A renewal (an exchange, a moderator's
 * change) is counted once more only against the publishers, should it add PUBLISH.
 */
export function admissionOf(stage: StageAdmission, participant: IvsParticipant, first: boolean): Admission {
  const person = admittedAs(participant);
  const perPerson = first && person !== undefined ? stage.onePerPerson : undefined;
  return {
    limits: [
      ...(stage.maxParticipants === undefined ? [] : [{ subset: null, limit: stage.maxParticipants }]),
      ...(stage.maxPublishers === undefined ? [] : [{ subset: PUBLISHERS, limit: stage.maxPublishers }]),
      ...(perPerson === 'reject' ? [{ subset: participantsOf(person!), limit: 1 }] : []),
    ],
    ...(perPerson === 'replace' ? { displacing: participantsOf(person!) } : {}),
  };
}

/** What a renewal's attempt answers when another write to the participant came between its read and its renewal. */
export const CHANGED = Symbol('changed');

/** More writers than this at once to one participant is no app renewing its token: refused rather than waited out. */
const RENEWAL_ATTEMPTS = 8;

/**
 * A renewal (an exchange, a moderator's change), decided again from a fresh read of the
 * participant each time another write came first: no one's decision is overwritten by one made
 * without it.
 */
export async function renewing<T>(attempt: () => Promise<T | typeof CHANGED>): Promise<T> {
  for (let attempts = 1; attempts <= RENEWAL_ATTEMPTS; attempts += 1) {
    const outcome = await attempt();
    if (outcome !== CHANGED) return outcome;
  }
  throw admissionRefusal({ outcome: 'changed' });
}

/** A refused admission as the minting services answer it: the limit it met, named. */
export function admissionRefusal(refused: Exclude<AdmissionOutcome, { outcome: 'admitted' }>, stageArn = '', stage: StageAdmission = {}): MintingError {
  if (refused.outcome === 'changed') return invalidGrant(describe`the participant is being changed by others at this moment: try again`);
  if (refused.outcome === 'not_live') return invalidGrant(describe`the participant is no longer on stage ${stageArn}`);
  if (refused.subset === null) return resourceLimitExceeded(describe`stage ${stageArn} is full: it admits ${stage.maxParticipants ?? 0} participants at once (maxParticipants)`);
  if (refused.subset === PUBLISHERS) return resourceLimitExceeded(describe`stage ${stageArn} has its ${stage.maxPublishers ?? 0} publishers already (maxPublishers)`);
  return resourceLimitExceeded(describe`this person is on stage ${stageArn} already, in another participant (onePerPerson: reject)`);
}
