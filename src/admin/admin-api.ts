import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import { parseJsonInput } from '../http/json-input.js';
import type { Audit } from '../observability/audit.js';
import { readRawBody } from '../http/raw-body.js';
import { AdminError, invalidRequest } from './admin-error.js';
import type { AdminAccess, AdminOperation } from './operation.js';
import { ADMIN_PREFIX, openApiDocument } from './openapi.js';
import type { ChangeJournal, PendingChanges } from './pending-changes.js';

export interface AdminApiDependencies {
  operations: readonly AdminOperation[];
  /** Checks the call's bearer token for the access it needs; answers the acting client's id. */
  authorize: (authorization: string | undefined, access: AdminAccess) => Promise<string>;
  maxBodyBytes: number;
  issuer: string;
  /** The token endpoint's path, where admin tokens come from (for the document). */
  tokenPath: string;
  audit: Audit;
  /** Changes begun and not answered, which the next call naming their item finishes. */
  pendingChanges: PendingChanges;
}

/**
 * The Admin API under /admin/v1: every operation of the table, each behind the access check, and
 * the OpenAPI document generated from the same table.
 */
export function adminRoutes({ operations, authorize, maxBodyBytes, issuer, tokenPath, audit, pendingChanges }: AdminApiDependencies): Router {
  const router = new Router({ prefix: ADMIN_PREFIX });
  const document = JSON.stringify(openApiDocument(operations, { issuer, tokenPath }));
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document;
  });
  for (const operation of operations) {
    const path = operation.path.replace(/\{([A-Za-z_]+)\}/g, ':$1');
    router.register(path, [operation.method], async (ctx: Context) => {
      let journal: ChangeJournal | undefined;
      try {
        const actor = await authorize(ctx.get('Authorization') || undefined, operation.access);
        const body = operation.body ? await jsonBody(ctx, operation.body, maxBodyBytes) : undefined;
        const query = operation.query ? parsed(operation.query, ctx.query, 'query parameter') : {};
        journal = pendingChanges.forCall(operation.resource, actor, ctx.ip);
        const answer = await operation.handle({
          params: (ctx as Context & { params: Record<string, string> }).params,
          query,
          body,
          ifMatch: ctx.get('If-Match') || undefined,
          actor,
          journal,
        });
        ctx.status = answer.status ?? 200;
        ctx.set('Cache-Control', 'no-store');
        if (answer.etag) ctx.set('ETag', answer.etag);
        for (const [name, value] of Object.entries(answer.headers ?? {})) ctx.set(name, value);
        if (answer.body !== undefined) ctx.body = answer.body;
        if (answer.change) audit.adminChange({ clientId: actor, resource: operation.resource, ...answer.change, ip: ctx.ip });
        await journal.close();
      } catch (error) {
        // The error boundary writes the body (and audits 401 and 403); the headers are the call's own.
        if (error instanceof AdminError) {
          for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
          // Refused before its write: nothing is left to finish. Any other failure may follow a write that was made.
          await journal?.close();
        }
        throw error;
      }
    });
  }
  // After every operation: a path they serve, asked with a method none of them takes.
  const methodsByPath = new Map<string, string[]>();
  for (const { path, method } of operations) methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), method]);
  for (const [path, methods] of methodsByPath) {
    router.all(path.replace(/\{([A-Za-z_]+)\}/g, ':$1'), (ctx) => {
      ctx.set('Allow', [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', '));
      throw new AdminError(405, 'invalid_request', `${ctx.method} is not a method of this path; it takes ${methods.join(', ')}`);
    });
  }
  return router;
}

async function jsonBody<T>(ctx: Context, schema: z.ZodType<T>, maxBodyBytes: number): Promise<T> {
  const type = ctx.request.type;
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new AdminError(415, 'invalid_request', 'the request body must be JSON (Content-Type: application/json)');
  }
  const raw = await readRawBody(ctx, maxBodyBytes);
  if (raw === undefined) throw new AdminError(413, 'invalid_request', `the request body exceeds ${maxBodyBytes} bytes`);
  if (raw.length === 0) throw invalidRequest('the request needs a JSON body');
  const input = parseJsonInput(schema, raw);
  if (!input.ok) throw invalidRequest(input.message);
  return input.value;
}

function parsed(schema: z.ZodObject, query: Record<string, unknown>, what: string): Record<string, unknown> {
  const repeated = Object.entries(query).find(([, value]) => Array.isArray(value));
  if (repeated) throw invalidRequest(`${what} ${repeated[0]} is given more than once`);
  const result = schema.safeParse(query);
  if (result.success) return result.data as Record<string, unknown>;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw invalidRequest(`${issue.keys.join(', ')} is not a ${what} of this call`);
  throw invalidRequest(`${what} ${issue.path.join('.')} ${issue.message}`);
}
