import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

import { signOutSession } from './oidc-provider-internals.js';

/**
 * oidc-provider's interaction policy, with one more reason to ask for the sign-in: the browser's
 * session names a person `findAccount` no longer knows (disabled or deleted since). oidc-provider
 * has no account and no grant for such a session, and its consent check then fails on the missing
 * grant (a 500 at /auth and the device pages, for every client). The session is signed out
 * instead, so the person signs in as in a new browser, and `prompt=none` gets `login_required`.
 */
export function signInAgainWhenAccountGone(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check(
    'account_gone',
    'the signed-in account is disabled or deleted; sign in again',
    'login_required',
    signsOutGoneAccount,
  ), 0);
  return policy;
}

function signsOutGoneAccount(ctx: KoaContextWithOIDC): boolean {
  const { session, account } = ctx.oidc;
  if (session?.accountId === undefined || account !== undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
  signOutSession(session);
  return interactionPolicy.Check.REQUEST_PROMPT;
}
