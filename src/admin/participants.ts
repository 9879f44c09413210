import { z } from 'zod';

import type { Participant, ParticipantRoll } from '../grants/common/participants.js';
import { IVS_ARN_MAX_LENGTH, STAGE_ARN_RULE, STAGE_ARN_SHAPE } from '../grants/ivs/request.js';
import { invalidRequest, notFound } from './admin-error.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { DEFAULT_PAGE_SIZE, pageQuery, pageSchema } from './paging.js';

const moment = z.iso.datetime();

export const participantSchema = z.object({
  participant_id: z.string().meta({ description: 'The token\'s jti: IVS\'s participantId' }),
  stage_arn: z.string(),
  person: z.string().optional().meta({ description: 'The sub of the person it was minted for; absent when a client minted it for itself' }),
  user_id: z.string().optional().meta({ description: 'The user_id its token carries' }),
  client_id: z.string().meta({ description: 'The client that minted it, the only one that may exchange its token' }),
  capabilities: z.array(z.enum(['PUBLISH', 'SUBSCRIBE'])),
  attributes: z.record(z.string(), z.string()),
  issued_at: moment.meta({ description: 'When its current token was minted' }),
  expires_at: moment.meta({ description: 'When its current token expires; it is forgotten then' }),
  live: z.boolean().meta({ description: 'Whether it counts as on the stage: not disconnected, replaced or left' }),
  ended: z.object({
    how: z.enum(['disconnected', 'replaced', 'left']),
    at: moment,
    by: z.string().meta({ description: 'A client id; admin:<client id> for an operator' }),
    reason: z.string().optional(),
  }).optional().meta({ description: 'How it stopped being live before its token expired' }),
});

const listQuery = pageQuery.extend({
  stage_arn: z.string().max(IVS_ARN_MAX_LENGTH, `must be at most ${IVS_ARN_MAX_LENGTH} characters`).regex(STAGE_ARN_SHAPE, STAGE_ARN_RULE)
    .meta({ description: 'The stage whose participants are listed' }),
});

const PARTICIPANT_ID = { participant_id: 'The participant\'s id (its token\'s jti)' };
/** The ids stagepass gives participants, as IVS's: a path naming anything else names none of them. */
const PARTICIPANT_ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

export function participantView(participant: Participant) {
  const { id, resource, person, userId, clientId, capabilities, attributes, issuedAt, expiresAt, live, ended } = participant;
  return {
    participant_id: id, stage_arn: resource, ...(person === undefined ? {} : { person }), ...(userId === undefined ? {} : { user_id: userId }),
    client_id: clientId, capabilities, attributes, issued_at: issuedAt, expires_at: expiresAt, live, ...(ended === undefined ? {} : { ended }),
  };
}

/** The participant the path names, or 404. */
export async function namedParticipant(participants: ParticipantRoll, id: string): Promise<Participant> {
  if (!PARTICIPANT_ID_SHAPE.test(id)) throw invalidRequest('participant_id must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');
  const participant = await participants.find(id);
  if (!participant) throw notFound(`participant ${id}`);
  return participant;
}

/** The participants of IVS stages, as recorded when their tokens were minted. */
export function participantOperations(participants: ParticipantRoll): AdminOperation[] {
  return [
    adminOperation({
      method: 'GET', path: '/participants', resource: 'participants', operationId: 'listParticipants', access: 'read',
      summary: 'List a stage\'s participants whose tokens have not expired, live or ended, by id', query: listQuery,
      responses: { 200: { description: 'A page of participants', schema: pageSchema(participantSchema) } },
      async handle({ query }) {
        const { stage_arn: stageArn, limit = DEFAULT_PAGE_SIZE, cursor } = query as z.output<typeof listQuery>;
        const page = await participants.page(stageArn, limit, cursor);
        return { body: { items: page.items.map(participantView), next_cursor: page.more ? page.items.at(-1)!.id : null } };
      },
    }),
    adminOperation({
      method: 'GET', path: '/participants/{participant_id}', resource: 'participants', operationId: 'getParticipant', access: 'read',
      summary: 'Read a participant', pathParameters: PARTICIPANT_ID, errors: [404],
      responses: { 200: { description: 'The participant', schema: participantSchema } },
      async handle({ params }) {
        return { body: participantView(await namedParticipant(participants, params.participant_id!)) };
      },
    }),
  ];
}
