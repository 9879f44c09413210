import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

import { signOutSession } from './oidc-provider-internals.js';

/**
 * oidc-provider's interaction policy, with one more reason to ask for the sign-in: the browser's
 * session names a person `findAccount` no longer knows (disabled or deleted since), or signed in
 * before the account's credentials changed (`stands` says no: made again, enabled again, a new
 * password, a factor an operator removed). oidc-provider has no account and no grant for a gone
 * person's session, and its consent check then fails on the missing grant (a 500 at /auth and the
 * device pages, for every client). The session is signed out instead, so the person signs in as in
 * a new browser, and `prompt=none` gets `login_required`.
 */
export function signInAgainWhenAccountGone(
  stands: (sub: string, loginTs: number | undefined) => Promise<boolean>,
): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check(
    'account_gone',
    'the signed-in account is disabled or deleted, or its credentials changed; sign in again',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      const { session, account } = ctx.oidc;
      if (session?.accountId === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (account !== undefined && (await stands(session.accountId, session.loginTs))) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      signOutSession(session);
      return interactionPolicy.Check.REQUEST_PROMPT;
    },
  ), 0);
  return policy;
}
