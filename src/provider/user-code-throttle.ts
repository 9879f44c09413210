import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

import { describeWait, FailureLockout } from '../limits/failure-lockout.js';
import type { LimitsConfig } from '../config/schema.js';
import type { PageRenderer } from '../http/page-renderer.js';
import type { Audit } from '../observability/audit.js';
import type { ValueStore } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { UNKNOWN_USER_CODE } from './provider-pages.js';

/**
 * User codes are short so people can type them, which makes them guessable: an address that
 * enters too many codes that match no device is locked out of the entry page for a while. Every
 * post to the entry page counts until it is known not to be a wrong code.
 */
export function throttleUserCodeEntry(
  provider: Provider,
  store: ValueStore,
  policy: LimitsConfig['userCodeEntry'],
  { render, audit, clock }: { render: PageRenderer; audit: Audit; clock: Clock },
): Middleware {
  const entryPath = new URL(provider.urlFor('code_verification')).pathname;
  const lockout = new FailureLockout(store, 'user-code-ip', {
    maxFailures: policy.maxFailuresPerIp,
    lockoutSeconds: policy.lockoutSeconds,
    maxLockoutSeconds: policy.maxLockoutSeconds,
  }, clock);

  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== entryPath) return next();
    const attempt = await lockout.reserve(ctx.ip);
    if (!attempt.allowed) {
      audit.denied({ reason: 'user_code_locked_out', ip: ctx.ip });
      render(ctx, 'error', 'Too many attempts', {
        error: 'too_many_attempts',
        description: `Too many codes that match no device were entered from this network. Try again in ${describeWait(attempt.lockedFor)}.`,
      });
      ctx.status = 429;
      ctx.set('Retry-After', String(attempt.lockedFor));
      return;
    }
    try {
      await next();
    } finally {
      if (!(ctx.state as Record<symbol, boolean>)[UNKNOWN_USER_CODE]) await lockout.release(attempt.reservation);
    }
  };
}
