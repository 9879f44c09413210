import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { Middleware } from 'koa';

import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { builtInDeviceCodeGrant, DEVICE_CODE_GRANT_TYPE } from './oidc-provider-internals.js';

/** RFC 8628 §3.5: each slow_down adds five seconds to the device code's interval. */
const SLOW_DOWN_INCREMENT = 5;

interface PollState {
  interval: number;
  lastPollAt: number;
}

/**
 * oidc-provider neither announces a polling interval nor answers slow_down. This wraps its device
 * code grant so that each device code carries an interval, kept in the store (so every instance
 * sees it), and a device that polls sooner than its interval is told to slow down.
 */
export function enforceDevicePollingInterval(provider: Provider, store: ValueStore, defaultInterval: number, clock: Clock): void {
  const builtIn = builtInDeviceCodeGrant(provider);
  provider.registerGrantType(
    DEVICE_CODE_GRANT_TYPE,
    async (ctx) => {
      await checkPollingInterval(ctx, provider, store, defaultInterval, clock);
      await builtIn.handler(ctx);
    },
    builtIn.parameters,
  );
}

/** Adds `interval` to the device authorization response, which oidc-provider leaves out. */
export function announceDevicePollingInterval(deviceAuthorizationPath: string, interval: number): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.path === deviceAuthorizationPath && ctx.method === 'POST' && ctx.status === 200 && isObject(ctx.body)) {
      ctx.body = { ...ctx.body, interval };
    }
  };
}

async function checkPollingInterval(
  ctx: KoaContextWithOIDC,
  provider: Provider,
  store: ValueStore,
  defaultInterval: number,
  clock: Clock,
): Promise<void> {
  const deviceCode = ctx.oidc.params?.device_code;
  // Anything but a pending code of this client is left to the built-in handler to reject.
  if (typeof deviceCode !== 'string' || deviceCode.length === 0) return;
  const code = await provider.DeviceCode.find(deviceCode, { ignoreExpiration: true });
  if (!code || code.clientId !== ctx.oidc.client?.clientId || code.isExpired || code.accountId || code.error) return;

  const key = `device-poll:${code.jti}`;
  const now = clock.now();
  const previous = parsePollState(await store.getValue(key));
  const interval = previous?.interval ?? defaultInterval;
  const tooSoon = previous !== undefined && now - previous.lastPollAt < interval * 1000;
  const next: PollState = { interval: tooSoon ? interval + SLOW_DOWN_INCREMENT : interval, lastPollAt: now };
  await store.setValue(key, JSON.stringify(next), Math.max(1, code.exp! - Math.floor(now / 1000)));
  if (tooSoon) {
    throw new errors.SlowDown(`polled sooner than the ${interval} s interval; wait ${next.interval} s between polls`);
  }
}

function parsePollState(value: string | undefined): PollState | undefined {
  return value === undefined ? undefined : (JSON.parse(value) as PollState);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value);
}
