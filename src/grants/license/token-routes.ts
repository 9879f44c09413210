import Router from '@koa/router';
import type { Provider } from 'oidc-provider';

import { authenticateClient } from '../common/client-authentication.js';
import { listedToken, type LicenseTokenRegistry } from './token-registry.js';

/** ListTokens and DeleteToken for the calling client's own tokens. */
export function licenseTokenRoutes(provider: Provider, registry: LicenseTokenRegistry): Router {
  const router = new Router({ prefix: '/licenses/tokens' });

  router.get('/', async (ctx) => {
    const client = await authenticateClient(ctx, provider);
    const tokens = await registry.listForClient(client.clientId);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { Tokens: tokens.map(listedToken) };
  });

  router.delete('/:tokenId', async (ctx) => {
    const client = await authenticateClient(ctx, provider);
    if (!(await registry.delete(ctx.params.tokenId!, client.clientId))) {
      ctx.status = 404;
      ctx.body = { error: 'invalid_target', error_description: `this client has no license token ${ctx.params.tokenId}` };
      return;
    }
    ctx.status = 204;
  });

  return router;
}
