import Router from '@koa/router';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';

import { readForm } from '../../http/form-body.js';
import { mintingClientOf } from '../common/client-authentication.js';
import { providerErrorOf } from '../common/grant-errors.js';
import { JWT_TOKEN_TYPE, mintedTokenAnswer } from '../common/minted-response.js';
import { describe, invalidRequest, MintingError } from '../common/minting-error.js';
import { assertRegisteredFor, type MintingGateway } from '../common/minting-gateway.js';
import type { MintingService } from '../common/minting-service.js';
import type { People } from '../common/people.js';
import { CALLER_FIELDS, routeClient, routePerson } from '../common/route-caller.js';
import type { ChangedParticipant, IvsModeration, ParticipantChange } from './moderation.js';
import { decodeChangeForm, decodeDisconnectionForm, MODERATION_FORM_NAMES } from './params.js';
import { IVS_RIGHTS_FIELDS } from './policy.js';

export interface ParticipantRouteDependencies {
  provider: Provider;
  people: People;
  gateway: MintingGateway;
  moderation: IvsModeration;
  grantType: string;
}

type ModerationInput = ParticipantChange & { participantId: string };

/**
 * The participants of a stage, moderated by a client holding ivs_moderated_stage_arns (or the
 * app of a person holding it, with their subject_token): `PUT /ivs/participants/{id}` promotes or
 * demotes, answering the participant's new token to the client that minted it (to others, its new record); `POST …/disconnect` ends it and keeps its
 * person out; `DELETE` is the participant's own app leaving. Forms, as the token endpoint's.
 */
export function ivsParticipantRoutes(deps: ParticipantRouteDependencies): Router {
  const { provider, people, gateway, moderation, grantType } = deps;
  // A new token through the minting gateway, as every token is: the grant check, the rate, the audit trail.
  const moderating: MintingService<ModerationInput, ChangedParticipant> = {
    grantType,
    mint: ({ participantId, ...change }, caller) => moderation.change(participantId, change, { caller }),
    audited: ({ participant }) => ({ capabilities: participant.capabilities }),
  };
  const router = new Router({ prefix: '/ivs/participants' });

  router.put('/:participantId', async (ctx) => {
    const { form, own } = await formOf(ctx);
    const client = await routeClient(ctx, form, provider);
    const { participant, token } = await answered(() => gateway.mint(moderating, {
      client: mintingClientOf(client),
      ip: ctx.ip,
      rightsFields: IVS_RIGHTS_FIELDS,
      request: async () => ({
        input: { participantId: participantIdOf(ctx), ...decodeChangeForm(own) },
        person: await routePerson(form, client, provider, people),
      }),
    }));
    ctx.set('Cache-Control', 'no-store');
    if (!token) {
      const { id, resource, live, capabilities, attributes, expiresAt } = participant;
      ctx.body = { participant_id: id, stage_arn: resource, live, capabilities, attributes, expires_at: expiresAt };
      return;
    }
    const { expiresIn, ...participantToken } = token;
    ctx.body = mintedTokenAnswer({ token: token.token, issuedTokenType: JWT_TOKEN_TYPE, expiresIn }, { participant_token: participantToken });
  });

  router.post('/:participantId/disconnect', async (ctx) => {
    const { form, own } = await formOf(ctx);
    const authenticated = await routeClient(ctx, form, provider);
    const client = mintingClientOf(authenticated);
    const ended = await answered(async () => {
      assertRegisteredFor(client, grantType);
      const disconnection = decodeDisconnectionForm(own);
      const person = await routePerson(form, authenticated, provider, people);
      const caller = { clientId: client.clientId, rights: client.rights(IVS_RIGHTS_FIELDS), ...(person ? { person } : {}) };
      return moderation.disconnect(participantIdOf(ctx), disconnection, { caller }, ctx.ip);
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { participant_id: ended.id, stage_arn: ended.resource, live: ended.live, ...(ended.ended ? { ended: ended.ended } : {}) };
  });

  // The participant's own app leaves: the client that minted it, for the same person.
  router.delete('/:participantId', async (ctx) => {
    const { form, own } = await formOf(ctx);
    const authenticated = await routeClient(ctx, form, provider);
    const client = mintingClientOf(authenticated);
    await answered(async () => {
      assertRegisteredFor(client, grantType);
      const unknown = Object.keys(own)[0];
      if (unknown !== undefined) throw invalidRequest(describe`${unknown} is not a field of this call`);
      const person = await routePerson(form, authenticated, provider, people);
      await moderation.leave(participantIdOf(ctx), { clientId: client.clientId, rights: {}, ...(person ? { person } : {}) }, ctx.ip);
    });
    ctx.status = 204;
  });

  return router;
}

/** The form (none may come with a DELETE), and its fields without those that say who calls. */
async function formOf(ctx: Context): Promise<{ form: Record<string, string>; own: Record<string, string> }> {
  const form = (ctx.request.length ?? 0) > 0 || ctx.get('transfer-encoding') !== '' ? await readForm(ctx) : {};
  const own = Object.fromEntries(Object.entries(form).filter(([name]) => !(CALLER_FIELDS as readonly string[]).includes(name)));
  return { form, own };
}

function participantIdOf(ctx: Context): string {
  return (ctx as Context & { params: Record<string, string> }).params.participantId!;
}

/** A refusal of the moderation, as the token endpoint answers refusals. */
async function answered<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof MintingError ? providerErrorOf(error, MODERATION_FORM_NAMES) : error;
  }
}
