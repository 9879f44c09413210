import type { Context, Middleware } from 'koa';
import type { z } from 'zod';

import { readRawBody } from '../http/raw-body.js';
import type { Audit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import { setMatchedRoute } from '../http/matched-route.js';
import { type ErrorDialect } from './aws-error.js';
import { parseJsonInput } from '../http/json-input.js';
import { awsErrorBoundary } from './aws-error-boundary.js';

export interface EndpointDependencies {
  logger: Logger;
  audit: Audit;
  maxBodyBytes: number;
}

/** Answers one AWS operation: the request with its exact body bytes in, the output shape out. */
export type OperationHandler = (ctx: Context, body: Buffer) => Promise<Record<string, unknown>>;

/**
 * Mounts one AWS service at `prefix` (the `endpoint` an SDK client is given). Everything under it
 * answers in the service's protocol; the handler picks the operation.
 */
export function awsEndpoint(prefix: string, dialect: ErrorDialect, deps: EndpointDependencies, handle: OperationHandler): Middleware {
  const boundary = awsErrorBoundary(dialect, deps);
  return async (ctx, next) => {
    if (ctx.path !== prefix && !ctx.path.startsWith(`${prefix}/`)) return next();
    nameRoute(ctx, prefix);
    await boundary(ctx, async () => {
      const body = await readRawBody(ctx, deps.maxBodyBytes);
      if (!body) throw dialect.validation(`the request body exceeds ${deps.maxBodyBytes} bytes`);
      const output = await handle(ctx, body);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = output;
    });
  };
}

/**
 * The route label in logs and metrics (as a router's path template would be): the service, then
 * the operation once known. Operation names come from a fixed list, so the label stays bounded.
 */
export function nameRoute(ctx: Context, route: string): void {
  setMatchedRoute(ctx, route);
}

/** One operation of a service: the JSON input's schema, and what answers it for a caller of the service's kind. */
export interface AwsOperation<Call> {
  schema: z.ZodType;
  run(input: never, call: Call): Promise<object>;
}

export const awsOperation = <T, Call>(schema: z.ZodType<T>, run: (input: T, call: Call) => Promise<object>): AwsOperation<Call> => ({ schema, run });

/** Reads the operation's JSON input (a malformed one is the service's validation error) and runs it. */
export async function runOperation<Call>(operation: AwsOperation<Call>, body: Buffer, dialect: ErrorDialect, call: Call): Promise<Record<string, unknown>> {
  const input = parseJsonInput(operation.schema, body);
  if (!input.ok) throw dialect.validation(input.message);
  return { ...(await operation.run(input.value as never, call)) };
}
