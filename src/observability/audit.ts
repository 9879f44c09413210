/** Who did what, for the audit trail: identifiers and names only, never a token or a secret. */
export interface AuditFields {
  clientId?: string;
  userId?: string;
  grantType?: string;
  resource?: string;
  capabilities?: string[];
  /** The person's groups, for a token minted for a person. */
  groups?: string[];
  scope?: string;
  ip?: string;
  /** Where, for refusals outside the token endpoint. */
  path?: string;
  reason?: string;
  description?: string;
}

/** The audit trail every layer records to; `src/server/audit.ts` writes it as log lines and metrics. */
export interface Audit {
  tokenIssued(fields: AuditFields): void;
  denied(fields: AuditFields & { reason: string }): void;
}
