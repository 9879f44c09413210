import type { z } from 'zod';

import type { AdminChange } from '../observability/audit.js';
import type { ChangeJournal } from './pending-changes.js';

/** `read`: a token with `stagepass:admin:read` or `stagepass:admin`; `write`: only `stagepass:admin`. */
export type AdminAccess = 'read' | 'write';

export interface AdminRequest<Body> {
  /** The path's parameters, decoded (`{arn}` of `/licenses/{arn}`). */
  params: Readonly<Record<string, string>>;
  /** The query, as the operation's query schema parsed it. */
  query: Readonly<Record<string, unknown>>;
  /** The JSON body, as the operation's schema parsed it. */
  body: Body;
  /** The `If-Match` header, when sent. */
  ifMatch: string | undefined;
  /** The client whose token the call carries. */
  actor: string;
  /** Where a change notes itself before its deciding write, and finds the change its item was left with. */
  journal: ChangeJournal;
}

export interface AdminAnswer {
  status?: number;
  body?: unknown;
  /** The answered resource's version, sent as `ETag`. */
  etag?: string;
  headers?: Readonly<Record<string, string>>;
  /** What the call changed, for the audit trail (the acting client and the resource are added). */
  change?: Pick<AdminChange, 'id' | 'action'>;
}

export interface AdminResponse {
  description: string;
  schema?: z.ZodType;
  /** Whether it carries an `ETag`. */
  etag?: boolean;
}

/**
 * One call of the Admin API: the router serves it and the OpenAPI document describes it, both
 * from this, so the document cannot drift from what is validated and answered.
 */
export interface AdminOperation<Body = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under /admin/v1, with parameters as OpenAPI writes them: `/groups/{name}`. */
  path: string;
  /** The resource it belongs to (the document's tag, the audit event's `resource`). */
  resource: string;
  operationId: string;
  summary: string;
  access: AdminAccess;
  pathParameters?: Readonly<Record<string, string>>;
  /** Query parameters; every value arrives as a string. */
  query?: z.ZodObject;
  body?: z.ZodType<Body>;
  /** Successful answers by status; the error answers every operation shares are added for it. */
  responses: Readonly<Record<number, AdminResponse>>;
  /** Whether it honours `If-Match`; PUT and DELETE always do. */
  ifMatch?: boolean;
  /** Error statuses beyond those of every call (400, 401, 403, 413, 503), for the document. */
  errors?: readonly number[];
  handle(request: AdminRequest<Body>): Promise<AdminAnswer>;
}

/** Types an operation by its body schema, then keeps it beside the others in a table. */
export function adminOperation<Body>(operation: AdminOperation<Body>): AdminOperation {
  return operation as unknown as AdminOperation;
}
