import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import { hasProviderSession } from './oidc-provider-internals.js';

/**
 * The device pages after the first one need the browser session that page started. oidc-provider
 * fails with a server error when they are reached without one (an expired or missing cookie), so
 * such a browser is sent back to the code entry page to start again.
 */
export function requireDevicePageSession(provider: Provider): Middleware {
  const entryPath = new URL(provider.urlFor('code_verification')).pathname;
  const deviceAuthorizationPath = new URL(provider.urlFor('device_authorization')).pathname;

  return async (ctx, next) => {
    const onDevicePage = ctx.path === entryPath || ctx.path.startsWith(`${entryPath}/`);
    const startsSession = ctx.method === 'GET' && ctx.path === entryPath;
    // Device authorization is a POST endpoint under the same prefix; a GET there would reach the resume page.
    const authorizesDevice = ctx.method === 'POST' && ctx.path === deviceAuthorizationPath;
    if (!onDevicePage || startsSession || authorizesDevice) return next();

    if (await hasProviderSession(provider, ctx)) return next();
    ctx.status = 303;
    ctx.redirect(entryPath);
  };
}
