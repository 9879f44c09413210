import { randomUUID } from 'node:crypto';

import type { Middleware } from 'koa';

import type { Logger, LogMethod } from '../observability/logger.js';
import { contextOfCurrentRequest, runInProviderRequestStorage } from '../provider/oidc-provider-internals.js';

/** A line to be logged with the request's own line, when the request ends. */
export interface DeferredLine {
  message: string;
  fields: Record<string, unknown>;
}

interface RequestContext {
  requestId: string;
  /** Audit events of this request: its log line carries them, so a token costs one line, not two. */
  deferredLines: DeferredLine[];
}

/** Where a request's context hangs on its Koa context, which is what the async storage holds. */
const REQUEST_CONTEXT = Symbol('stagepass request context');

function currentContext(): RequestContext | undefined {
  return (contextOfCurrentRequest() as { [REQUEST_CONTEXT]?: RequestContext } | undefined)?.[REQUEST_CONTEXT];
}

/** An incoming id is kept when it is short and plain, so it can be traced through a proxy's logs. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id of the request being handled, wherever in its async call chain the caller is. */
export function currentRequestId(): string | undefined {
  return currentContext()?.requestId;
}

/**
 * Keeps the line for the request's own log line; false outside a request, where the caller logs
 * it at once.
 */
export function deferToRequestLine(line: DeferredLine): boolean {
  const context = currentContext();
  context?.deferredLines.push(line);
  return context !== undefined;
}

/** The lines deferred so far in the current request, handed over once. */
export function takeDeferredLines(): DeferredLine[] {
  const context = currentContext();
  if (!context) return [];
  const lines = context.deferredLines;
  context.deferredLines = [];
  return lines;
}

/**
 * Gives every request an id (the caller's `x-request-id` when acceptable, else a new one), returns
 * it in the response, and runs the rest of the request inside it so every log line can carry it.
 */
export function requestId(): Middleware {
  return (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    (ctx as { [REQUEST_CONTEXT]?: RequestContext })[REQUEST_CONTEXT] = { requestId: id, deferredLines: [] };
    return runInProviderRequestStorage(ctx, next);
  };
}

/**
 * The logger, each line written while a request is handled carrying its request id. A line that
 * names its request already (every request's own line does) is written as given.
 */
export function withRequestIds(logger: Logger): Logger {
  const method = (log: LogMethod): LogMethod => (message, fields) => {
    const requestId = fields?.requestId === undefined ? currentRequestId() : undefined;
    log(message, requestId === undefined ? fields : { requestId, ...fields });
  };
  return { debug: method(logger.debug), info: method(logger.info), warn: method(logger.warn), error: method(logger.error), close: () => logger.close() };
}
