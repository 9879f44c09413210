import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

/** One grant type of a minter, as the token endpoint sees it. */
export interface MintingGrant {
  /** The grant_type URN clients send and must list in their grant_types. */
  grantType: string;
  /** Form parameters the grant reads; oidc-provider drops any others. */
  parameters: readonly string[];
  /** Parameters that may be repeated (list values). */
  repeatableParameters?: readonly string[];
  handle(ctx: KoaContextWithOIDC): Promise<void>;
}

/** Parameters every minting grant accepts: the user it mints for, as an access token of ours. */
export const SUBJECT_PARAMETERS = ['subject_token', 'subject_token_type'] as const;

export function registerMintingGrants(provider: Provider, grants: readonly MintingGrant[]): void {
  for (const grant of grants) {
    provider.registerGrantType(
      grant.grantType,
      (ctx) => grant.handle(ctx),
      [...SUBJECT_PARAMETERS, ...grant.parameters],
      grant.repeatableParameters ? [...grant.repeatableParameters] : undefined,
    );
  }
}
