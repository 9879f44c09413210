import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

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

/** What happened to a license lease: who holds it, of which license, on which node, with what. */
export interface LeaseEvent {
  event: 'checkout' | 'extend' | 'check_in' | 'expiry' | 'forced_check_in';
  licenseArn: string;
  /** The LicenseConsumptionToken: a lease's name, not a secret (it is checked against its holder at each use). */
  lease: string;
  kind: string;
  clientId: string;
  userId?: string;
  nodeId?: string;
  /** `<name>:<units>` per entitlement. */
  entitlements: string[];
  /** The operator's client, for a forced check-in. */
  actor?: string;
}

/** A participant of a live session changed by someone other than its token's exchange: a moderator, an operator, its own app, a newer participant. */
export interface ParticipantAction {
  action: 'change' | 'disconnect' | 'replace' | 'leave';
  participantId: string;
  /** The stage. */
  resource: string;
  /** Who acted: a client id, or `admin:<client id>` for an operator. */
  by: string;
  /** The person who acted through their app, when one did. */
  byUser?: string;
  /** The participant's user. */
  userId?: string;
  capabilities?: string[];
  reason?: string;
  keepOutSeconds?: number;
  ip?: string;
}

/** A person's sign-in factor (a passkey, an authenticator app, recovery codes) set up, renamed, removed or used: which, never a secret. */
export interface FactorEvent {
  action: 'enrolled' | 'renamed' | 'removed' | 'used' | 'refused';
  /** Which kind; absent for a change refused before its factor was looked up. */
  factorType?: string;
  factorId?: string;
  userId: string;
  /** The operator's client, for a factor removed through the Admin API. */
  clientId?: string;
  ip?: string;
  reason?: string;
}

/** The audit trail every layer records to; `createAudit` below writes it as log lines and metrics. */
export interface Audit {
  tokenIssued(fields: AuditFields): void;
  denied(fields: AuditFields & { reason: string }): void;
  adminChange(change: AdminChange): void;
  lease(event: LeaseEvent): void;
  participantAction(action: ParticipantAction): void;
  factor(event: FactorEvent): void;
}

/**
 * Audit events are log lines with an `audit` field (the line's time is when), and metrics. An
 * event `deferToRequestLine` takes is written as the log line of the request it happened in,
 * which then names the event; one it leaves is logged at once.
 */
export function createAudit(logger: Logger, metrics: Pick<Metrics, 'tokenIssued' | 'denied' | 'adminChange' | 'leaseEvent' | 'participantAction'>, deferToRequestLine: (line: { message: string; fields: Record<string, unknown> }) => boolean = () => false): Audit {
  const record = (message: string, fields: Record<string, unknown>) => {
    if (!deferToRequestLine({ message, fields })) logger.info(message, fields);
  };
  return {
    tokenIssued(fields) {
      metrics.tokenIssued(fields.grantType ?? 'unknown');
      record('token issued', { audit: 'token_issued', ...fields });
    },
    denied(fields) {
      metrics.denied(fields.reason);
      record('request denied', { audit: 'denied', ...fields });
    },
    adminChange(change) {
      metrics.adminChange(change.resource, change.action);
      record('admin change', { audit: 'admin_change', ...change });
    },
    lease({ event, ...fields }) {
      metrics.leaseEvent(event);
      record(`license lease ${event.replace(/_/g, ' ')}`, { audit: `lease_${event}`, ...fields });
    },
    participantAction(action) {
      metrics.participantAction(action.action);
      record('participant action', { audit: 'participant_action', ...action });
    },
    factor(event) {
      record(`sign-in factor ${event.action}`, { audit: 'factor', ...event });
    },
  };
}
