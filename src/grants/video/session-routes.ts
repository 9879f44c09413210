import Router from '@koa/router';
import type { Context } from 'koa';
import { isIPv4 } from 'node:net';
import type { Provider } from 'oidc-provider';

import { readForm } from '../../http/form-body.js';
import { authenticateClient, mintingClientOf } from '../common/client-authentication.js';
import { invalidRequest, providerErrorOf } from '../common/grant-errors.js';
import { MintingError } from '../common/minting-error.js';
import { assertRegisteredFor } from '../common/minting-gateway.js';
import { VIDEO_GRANT_TYPE } from './service.js';
import { encodeVideoSessionId } from './session-id.js';

const MEDIA_MODES = ['routed', 'relayed'] as const;
type MediaMode = (typeof MEDIA_MODES)[number];
const KNOWN_FIELDS = new Set(['location', 'media_mode']);

/**
 * Creates session ids as OpenTok's create-session call does, for clients allowed to mint video
 * tokens. Sessions live only in their ids: nothing is stored, as the SDKs keep nothing either.
 */
export function videoSessionRoutes(provider: Provider, sessionOwner: string, now: () => Date): Router {
  const router = new Router({ prefix: '/video/sessions' });

  router.post('/', async (ctx) => {
    const client = await authenticateClient(ctx, provider);
    try {
      assertRegisteredFor(mintingClientOf(client), VIDEO_GRANT_TYPE);
    } catch (error) {
      throw error instanceof MintingError ? providerErrorOf(error, {}) : error;
    }
    const form = hasBody(ctx) ? await readForm(ctx) : {};
    const unknown = Object.keys(form).find((name) => !KNOWN_FIELDS.has(name));
    if (unknown !== undefined) throw invalidRequest(`${unknown} is not a session parameter (location, media_mode)`);
    if (form.location !== undefined && !isIPv4(form.location)) throw invalidRequest('location must be an IPv4 address');
    const mediaMode = form.media_mode ?? 'routed';
    if (!isMediaMode(mediaMode)) throw invalidRequest('media_mode must be routed or relayed');

    const sessionId = encodeVideoSessionId({ apiKey: sessionOwner, location: form.location, createdAt: now(), mediaMode });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { session_id: sessionId, media_mode: mediaMode };
  });

  return router;
}

/** A create-session call with no options may come with no body and no content type at all. */
function hasBody(ctx: Context): boolean {
  return (ctx.request.length ?? 0) > 0 || ctx.get('transfer-encoding') !== '';
}

function isMediaMode(value: string): value is MediaMode {
  return (MEDIA_MODES as readonly string[]).includes(value);
}
