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
/** A change an operator made through the Admin API: who, to which resource, and what; never its content. */
export interface AdminChange {
  /** The client whose token made the change. */
  clientId: string;
  /** `clients`, `accounts`, `groups`, `licenses`, `keys`, `bans`. */
  resource: string;
  /** The resource's id (a client id, a subject, a group's name, an ARN, a kid, a person). */
  id: string;
  action: 'create' | 'update' | 'delete' | 'rotate' | 'replace_secret';
  ip?: string;
}

export interface Audit {
  tokenIssued(fields: AuditFields): void;
  denied(fields: AuditFields & { reason: string }): void;
  adminChange(change: AdminChange): void;
}
