import type { RequestListener } from 'node:http';

import type { Context } from 'koa';
import inject from 'light-my-request';

export interface InternalRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Sent as application/x-www-form-urlencoded; list values become repeated fields. */
  form?: Record<string, string | readonly string[] | undefined>;
  headers?: Record<string, string>;
}

export interface InternalAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The JSON object answered, or an empty object for an empty or non-JSON body. */
  body: Record<string, unknown>;
}

/**
 * Who the outer request came from and how it addressed the server, so the inner one is logged,
 * limited and audited as theirs, and is over https (Secure cookies) exactly when theirs was.
 */
export interface RequestOrigin {
  ip: string;
  requestId?: string;
  /** Host, and X-Forwarded-Proto and -Host, trusted by the app exactly as for the outer request. */
  addressing: Record<string, string>;
}

export type Dispatch = (request: InternalRequest, origin: RequestOrigin) => Promise<InternalAnswer>;

/**
 * Hands a request to stagepass's own endpoints without a network hop. The AWS-compatible APIs
 * translate each call into the OAuth request oidc-provider and the minters already answer, so the
 * same flows, policies, limits and audit apply, and there is one implementation of each.
 *
 * `listener` is asked for lazily: the app's handler can only be built once every route is mounted.
 */
export function inProcessDispatch(listener: () => RequestListener): Dispatch {
  let handler: RequestListener | undefined;
  return async (request, origin) => {
    handler ??= listener();
    const response = await inject(handler, {
      method: request.method,
      url: request.path,
      remoteAddress: origin.ip,
      headers: {
        ...origin.addressing,
        ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(origin.requestId ? { 'x-request-id': origin.requestId } : {}),
        ...request.headers,
      },
      ...(request.form ? { payload: formBody(request.form) } : {}),
    });
    return { status: response.statusCode, headers: response.headers, body: jsonObjectOrEmpty(response.payload) };
  };
}

function formBody(form: NonNullable<InternalRequest['form']>): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    if (value === undefined) continue;
    for (const entry of [value].flat()) body.append(name, entry);
  }
  return body.toString();
}

function jsonObjectOrEmpty(payload: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return {};
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

const ADDRESSING_HEADERS = ['host', 'x-forwarded-proto', 'x-forwarded-host'];

/** The outer request's caller, id and addressing, carried over to the requests made on its behalf. */
export function requestOrigin(ctx: Context): RequestOrigin {
  const addressing = Object.fromEntries(ADDRESSING_HEADERS.map((name) => [name, ctx.get(name)]).filter(([, value]) => value !== ''));
  return { ip: ctx.ip, addressing, ...(typeof ctx.state.requestId === 'string' ? { requestId: ctx.state.requestId } : {}) };
}
