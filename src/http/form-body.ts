import { errors } from 'oidc-provider';
import type { Context } from 'koa';

import { readRawBody } from './raw-body.js';
import { withStatus } from './with-status.js';

/** Page forms carry a few short fields; anything larger is not a person typing. */
const FORM_BODY_LIMIT = 16 * 1024;

/**
 * Reads an application/x-www-form-urlencoded body into single string values. A field sent twice is
 * refused rather than guessed at.
 */
export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new errors.InvalidRequest('the form must be sent as application/x-www-form-urlencoded');
  }
  const body = await readRawBody(ctx, FORM_BODY_LIMIT);
  if (!body) throw bodyTooLarge();
  const form: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (Object.hasOwn(form, name)) throw new errors.InvalidRequest(`'${name}' was sent more than once`);
    form[name] = value;
  }
  return form;
}

function bodyTooLarge() {
  return withStatus(new errors.InvalidRequest(`the form exceeds ${FORM_BODY_LIMIT} bytes`), 413);
}
