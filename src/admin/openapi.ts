import { z } from 'zod';

import { ADMIN_READ_SCOPE, ADMIN_SCOPE } from './admin-access.js';
import type { AdminOperation } from './operation.js';

/** The body of every error answer, as the rest of the server answers them. */
export const errorSchema = z.object({
  error: z.string().meta({ description: 'An RFC 6749 style error code: invalid_request, invalid_token, insufficient_scope, not_found, conflict, precondition_failed …' }),
  error_description: z.string().meta({ description: 'What was wrong, naming the field by its JSON path.' }),
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed; error_description names the field',
  401: 'No access token, or one that is unknown, expired or revoked (WWW-Authenticate: Bearer)',
  403: 'The access token lacks the scope this call needs (insufficient_scope)',
  404: 'No such resource',
  405: 'The path does not take this method',
  409: 'The change conflicts with the resource as it is (defined in the configuration file, or already taken)',
  412: 'If-Match no longer matches the resource',
  413: 'The request body exceeds limits.maxBodyBytes',
  503: 'The store cannot answer now; retry after Retry-After seconds',
};

/** Errors every call may answer. */
const COMMON_ERRORS = [400, 401, 403, 413, 503];

/** JSON Schema 2020-12, the dialect of OpenAPI 3.1, of what a schema accepts or answers. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** The OpenAPI 3.1 document of the Admin API, from the operations the router serves. */
export function openApiDocument(operations: readonly AdminOperation[], { issuer, tokenPath }: { issuer: string; tokenPath: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const parameters = [
      ...Object.entries(operation.pathParameters ?? {}).map(([name, description]) => ({
        name, in: 'path', required: true, description, schema: { type: 'string' },
      })),
      ...Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => ({
        name, in: 'query', required: !(schema as z.ZodType).safeParse(undefined).success, schema: jsonSchema(schema as z.ZodType, 'input'),
        ...((schema as z.ZodType).meta()?.description ? { description: (schema as z.ZodType).meta()!.description } : {}),
      })),
      ...(operation.method === 'PUT' || operation.method === 'DELETE' || operation.ifMatch
        ? [{ name: 'If-Match', in: 'header', required: false, description: 'The ETag the change is based on; 412 when the resource has changed since', schema: { type: 'string' } }]
        : []),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.etag ? { headers: { ETag: { description: 'The resource\'s version, for If-Match', schema: { type: 'string' } } } } : {}),
        ...(response.schema ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } } : {}),
      };
    }
    for (const status of [...COMMON_ERRORS, ...(operation.errors ?? [])]) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const scopes = operation.access === 'read' ? [[ADMIN_READ_SCOPE], [ADMIN_SCOPE]] : [[ADMIN_SCOPE]];
    (paths[operation.path] ??= {})[operation.method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      tags: [operation.resource],
      security: scopes.map((needed) => ({ adminToken: needed })),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'stagepass Admin API',
      version: '1',
      description: 'Clients, accounts, groups, licenses, signing keys and bans, changed at runtime on every instance. '
        + `Every call takes an access token from the client_credentials grant with the scope ${ADMIN_SCOPE} (read and write) or ${ADMIN_READ_SCOPE} (GET only).`,
    },
    servers: [{ url: `${issuer}${ADMIN_PREFIX}` }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorSchema, 'output') },
      securitySchemes: {
        adminToken: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: `${issuer}${tokenPath}`,
              scopes: { [ADMIN_SCOPE]: 'Read and change everything', [ADMIN_READ_SCOPE]: 'Read everything (GET only)' },
            },
          },
        },
      },
    },
  };
}

export const ADMIN_PREFIX = '/admin/v1';
