import type { MintingAudit } from './minting-service.js';

/** Kept per request by the token endpoint's minting grants, for the audit event oidc-provider's grant events lead to. */
const auditOfRequest = new WeakMap<object, MintingAudit>();

export function recordMintingAudit(ctx: object, audit: MintingAudit): void {
  auditOfRequest.set(ctx, { ...auditOfRequest.get(ctx), ...audit });
}

/** What a minting grant recorded of the request, if it was one. */
export function mintingAuditOf(ctx: object): MintingAudit | undefined {
  return auditOfRequest.get(ctx);
}
