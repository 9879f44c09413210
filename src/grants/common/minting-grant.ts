import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

/** One grant type of a minter, as the token endpoint sees it. */
export interface MintingGrant {
  /** The grant_type URN clients send and must list in their grant_types. */
  grantType: string;
  handle(ctx: KoaContextWithOIDC): Promise<void>;
}

/** Every minting grant type's URN starts so (the license exchange is RFC 7523's jwt-bearer). */
export const MINTING_GRANT_TYPE_PREFIX = 'urn:stagepass:grant-type:';

/** Registered without parameters: each grant reads its own from the form (see sentForm). */
export function registerMintingGrants(provider: Provider, grants: readonly MintingGrant[]): void {
  for (const grant of grants) provider.registerGrantType(grant.grantType, (ctx) => grant.handle(ctx));
}
