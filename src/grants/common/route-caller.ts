import type { Context } from 'koa';
import { errors, type Provider } from 'oidc-provider';

import { authenticateClient, findClient, type Client } from './client-authentication.js';
import type { People, Person } from './people.js';
import { subjectOf } from './subject-token.js';

/** The fields with which a minter's own route is told who calls, beside the operation's own. */
export const CALLER_FIELDS = ['client_id', 'subject_token', 'subject_token_type'] as const;

/**
 * Who calls a minter's own route, and for whom: a confidential client by HTTP Basic, or a public
 * client by the `client_id` of its form, which proves nothing by itself and so must bring the
 * `subject_token` of the person it acts for, as at the token endpoint.
 */
export async function routeClient(ctx: Context, form: Readonly<Record<string, string>>, provider: Provider): Promise<Client> {
  if (ctx.get('authorization') !== '' || form.client_id === undefined) return authenticateClient(ctx, provider);
  const client = await findClient(provider, form.client_id);
  if (!client || client.clientAuthMethod !== 'none') {
    throw new errors.InvalidClientAuth('client authentication failed: a confidential client authenticates with HTTP Basic');
  }
  return client;
}

/** The person of the form's subject token: required of a public client, absent when a confidential client acts for itself. */
export function routePerson(form: Readonly<Record<string, string>>, client: Client, provider: Provider, people: People): Promise<Person | undefined> {
  return subjectOf({ subject_token: form.subject_token, subject_token_type: form.subject_token_type }, client, provider, people);
}

