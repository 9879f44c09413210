import { z } from 'zod';

/**
 * The client the account page (`/account`) signs people in through, with the same sign-in every
 * app gets: stagepass's own, defined by the provider rather than in the configuration, and allowed
 * without a consent page. Its code is never redeemed: what the page needs is the browser's
 * session, which the sign-in leaves behind. No other client may take its id.
 */
export const ACCOUNT_CLIENT_ID = 'stagepass-account';

/** Why a client may not have `id`, when it may not. */
export function reservedClientIdProblem(id: string): string | undefined {
  return id === ACCOUNT_CLIENT_ID ? `"${ACCOUNT_CLIENT_ID}" is the account page's own client; choose another id` : undefined;
}

/**
 * Client metadata is validated in full by oidc-provider when the provider starts; this schema
 * only pins what stagepass itself relies on and lets the rest of the metadata through.
 */
export function clientsSchemaFor(rightsFields: readonly string[]) {
  const client = z.looseObject({
    client_id: z.string().min(1).refine((id) => !reservedClientIdProblem(id), { error: (issue) => reservedClientIdProblem(String(issue.input)) })
      .meta({ description: `the client's id; never \`${ACCOUNT_CLIENT_ID}\`, the account page's own` }),
    client_secret: z.string().min(1).optional().meta({ description: 'its secret; none for a public client (`"token_endpoint_auth_method": "none"`)' }),
  });
  return z.array(client).default([]).meta({
    title: 'Clients',
    description: [
      'Static clients. Each entry is [oidc-provider client metadata](https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#clients), '
      + 'validated in full at start: `client_id`, `client_secret`, `client_name`, `grant_types`, `response_types`, `redirect_uris`, '
      + '`token_endpoint_auth_method` (`none` for public clients), `application_type` (`native` for apps on a device), `scope`, and so on.',
      `The fields ${inWords(rightsFields.map((field) => `\`${field}\``))} are the minting policy, with the vocabularies of a group's rights (below): `
      + 'only the operator sets them (here or through the Admin API, never dynamic registration), and an entry outside a field\'s vocabulary stops the server at start. '
      + '`"introspection_allowed": true` (the operator\'s, as well) makes a client a resource server that may introspect every client\'s tokens.',
    ].join('\n\n'),
    examples: [[{
      client_id: 'living-room-tv',
      client_name: 'Living Room TV',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }]],
  });
}

function inWords(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
