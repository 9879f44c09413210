import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

import { acrMeets } from '../accounts/authentication-context.js';

/** The login prompt's reason when the session's sign-in is weaker than the request asks. */
export const ACR_UNMET = 'acr_unmet';

/** What an authorization request asks of the sign-in: acr values (any one will do), and whether one is essential. */
export interface RequestedAcr {
  values: string[];
  essential: boolean;
}

/** The acr a request asks for: the claims parameter's `id_token.acr` (which may be essential), else `acr_values`. */
export function requestedAcr(params: Readonly<Record<string, unknown>>, claims: KoaContextWithOIDC['oidc']['claims']): RequestedAcr | undefined {
  const asked = claims?.id_token?.acr as { essential?: boolean; value?: string; values?: string[] } | null | undefined;
  const fromClaims = asked?.values ?? (asked?.value === undefined ? undefined : [asked.value]);
  if (fromClaims) return { values: fromClaims, essential: asked?.essential === true };
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ').filter(Boolean) : [];
  return acrValues.length ? { values: acrValues, essential: false } : undefined;
}

/**
 * oidc-provider's interaction policy with the acr a request asks for judged by stagepass's order
 * of levels (a phishing-resistant sign-in meets a request for mfa), in place of its own checks,
 * which want the session's acr among the values exactly. A session signed in more weakly is asked
 * for the sign-in again (the sign-in pages ask only for the missing step) when the person's
 * factors can give what is asked, or when it is essential (the pages then end the request with
 * unmet_authentication_requirements); a voluntary acr no factor of theirs gives is let be.
 */
export function withAcrRequirements(
  policy: interactionPolicy.DefaultPolicy,
  strongestAcrOf: (sub: string) => Promise<string>,
): interactionPolicy.DefaultPolicy {
  const login = policy.get('login')!;
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  login.checks.add(new interactionPolicy.Check(ACR_UNMET, 'the sign-in is weaker than the requested acr', async (ctx) => {
    const { oidc } = ctx;
    const requested = requestedAcr(oidc.params as Record<string, unknown>, oidc.claims);
    // A sign-in finished in this interaction is what the person could give: the pages end it otherwise.
    if (!requested || !oidc.session?.accountId || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const meets = (acr: string | undefined) => requested.values.some((value) => acrMeets(acr, value));
    if (meets(oidc.session.acr)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const possible = meets(await strongestAcrOf(oidc.session.accountId));
    return possible || requested.essential ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }, ({ oidc }) => ({ acr: requestedAcr(oidc.params as Record<string, unknown>, oidc.claims) })));
  return policy;
}
