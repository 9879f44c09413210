import { z } from 'zod';

import { MintingError } from '../grants/common/minting-error.js';
import type { Participant, ParticipantRoll } from '../grants/common/participants.js';
import { MAX_KEEP_OUT_SECONDS } from '../grants/ivs/config.js';
import { IVS_ARN_MAX_LENGTH, STAGE_ARN_RULE, STAGE_ARN_SHAPE } from '../grants/ivs/request.js';
import { AdminError, conflict, invalidRequest, notFound } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { DEFAULT_PAGE_SIZE, pageQuery, pageSchema } from './paging.js';

const moment = z.iso.datetime();

const participantSchema = z.object({
  participant_id: z.string().meta({ description: 'The token\'s jti: IVS\'s participantId' }),
  stage_arn: z.string(),
  person: z.string().optional().meta({ description: 'The sub of the person it was minted for; absent when a client minted it for itself' }),
  user_id: z.string().optional().meta({ description: 'The user_id its token carries' }),
  client_id: z.string().meta({ description: 'The client that minted it, the only one that may exchange its token' }),
  capabilities: z.array(z.enum(['PUBLISH', 'SUBSCRIBE'])),
  moderated_capabilities: z.array(z.enum(['PUBLISH', 'SUBSCRIBE'])).optional()
    .meta({ description: 'Set by a moderator or an operator: its exchanges keep to these instead of its person\'s groups' }),
  attributes: z.record(z.string(), z.string()),
  issued_at: moment.meta({ description: 'When its current token was minted' }),
  expires_at: moment.meta({ description: 'When its current token expires; it is forgotten then' }),
  live: z.boolean().meta({ description: 'Whether it counts as on the stage: not disconnected, replaced or left' }),
  ended: z.object({
    how: z.enum(['disconnected', 'replaced', 'left']),
    at: moment,
    by: z.string().meta({ description: 'A client id; admin:<client id> for an operator; stagepass when its client was deleted or its person\'s account ended' }),
    reason: z.string().optional(),
  }).optional().meta({ description: 'How it stopped being live before its token expired' }),
});

const changeBody = z.strictObject({
  capabilities: z.array(z.string()).optional().meta({ description: 'What the participant may do from now on (PUBLISH, SUBSCRIBE): a promotion may go beyond the person\'s groups, never beyond the rights of the client that minted it; its own exchanges keep to it' }),
  attributes: z.record(z.string(), z.string()).optional().meta({ description: 'The attributes its new token carries' }),
});

const disconnectionBody = z.strictObject({
  reason: z.string().optional().meta({ description: 'Named in the participant\'s record and in every refusal of the keep-out; at most 128 characters' }),
  keep_out_seconds: z.int().min(0).max(MAX_KEEP_OUT_SECONDS).optional().meta({ description: 'How long the person gets no token for the stage (0: not kept out); the configuration\'s ivs.keepOutSeconds when not given' }),
});

const changedSchema = z.object({
  participant: participantSchema,
  participant_token: z.object({ participantId: z.string(), token: z.string(), capabilities: z.array(z.string()), expirationTime: z.string() }).passthrough()
    .meta({ description: 'Its new token, as CreateParticipantToken answers one: for its app to hand to IVS\'s exchangeToken' }),
});

const listQuery = pageQuery.extend({
  stage_arn: z.string().max(IVS_ARN_MAX_LENGTH, `must be at most ${IVS_ARN_MAX_LENGTH} characters`).regex(STAGE_ARN_SHAPE, STAGE_ARN_RULE)
    .meta({ description: 'The stage whose participants are listed' }),
});

const PARTICIPANT_ID = { participant_id: 'The participant\'s id (its token\'s jti)' };
/** The ids stagepass gives participants, as IVS's: a path naming anything else names none of them. */
const PARTICIPANT_ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

function participantView(participant: Participant) {
  const { id, resource, person, userId, clientId, capabilities, moderated, attributes, issuedAt, expiresAt, live, ended } = participant;
  return {
    participant_id: id, stage_arn: resource, ...(person === undefined ? {} : { person }), ...(userId === undefined ? {} : { user_id: userId }),
    client_id: clientId, capabilities, ...(moderated === undefined ? {} : { moderated_capabilities: moderated }), attributes, issued_at: issuedAt, expires_at: expiresAt, live, ...(ended === undefined ? {} : { ended }),
  };
}

/** The participant's ETag: its answer, which changes with every new token and ending. */
const etagOfParticipant = (participant: Participant) => etagOf(JSON.stringify(participantView(participant)));

/** The bodies' names for the fields the minter's refusals name. */
const BODY_NAMES = { keepOutSeconds: 'keep_out_seconds' };

/** A refusal of the minter, in the Admin API's words: the participant no longer live, or the minting client's rights, are conflicts of the moment. */
function adminErrorOf(error: unknown): unknown {
  if (!(error instanceof MintingError)) return error;
  const description = error.description.render(BODY_NAMES);
  if (error.code === 'invalid_request') return invalidRequest(description);
  if (error.code === 'invalid_target') return new AdminError(404, 'not_found', description);
  if (error.code === 'resource_limit_exceeded') return new AdminError(409, 'resource_limit_exceeded', description);
  return conflict(description);
}

async function refusedAsAdmin<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw adminErrorOf(error);
  }
}

/** The participant the path names, or 404. */
async function namedParticipant(participants: ParticipantRoll, id: string): Promise<Participant> {
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
      responses: { 200: { description: 'The participant', schema: participantSchema, etag: true } },
      async handle({ params }) {
        const participant = await namedParticipant(participants, params.participant_id!);
        return { body: participantView(participant), etag: etagOfParticipant(participant) };
      },
    }),
    adminOperation({
      method: 'PUT', path: '/participants/{participant_id}', resource: 'participants', operationId: 'changeParticipant', access: 'write',
      summary: 'Promote or demote a live participant (its capabilities), or change its attributes: answers its new token, which its own next exchanges match',
      pathParameters: PARTICIPANT_ID, body: changeBody, errors: [404, 409, 412, 415],
      responses: { 200: { description: 'The participant as changed, and its new token', schema: changedSchema } },
      async handle({ params, body, ifMatch, actor }) {
        const current = await namedParticipant(participants, params.participant_id!);
        assertIfMatch(ifMatch, etagOfParticipant(current), `participant ${current.id}`);
        const token = await refusedAsAdmin(() => participants.change(current.id, body, actor));
        const changed = await namedParticipant(participants, current.id);
        return { body: { participant: participantView(changed), participant_token: token } };
      },
    }),
    adminOperation({
      method: 'POST', path: '/participants/{participant_id}/disconnect', resource: 'participants', operationId: 'disconnectParticipant', access: 'write',
      summary: 'Disconnect a participant: its token exchanges no more, and its person gets no token for the stage for the keep-out, on every instance within a second',
      pathParameters: PARTICIPANT_ID, body: disconnectionBody, errors: [404, 415],
      responses: { 200: { description: 'The participant, ended', schema: participantSchema } },
      async handle({ params, body, actor }) {
        const current = await namedParticipant(participants, params.participant_id!);
        const { reason, keep_out_seconds: keepOutSeconds } = body;
        const ended = await refusedAsAdmin(() => participants.disconnect(current.id, {
          ...(reason === undefined ? {} : { reason }), ...(keepOutSeconds === undefined ? {} : { keepOutSeconds }),
        }, actor));
        return { body: participantView(ended) };
      },
    }),
  ];
}
