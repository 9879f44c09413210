import type { Audit } from '../../../observability/audit.js';
import type { LeaseEventName } from './lease-service.js';
import type { LeaseRecord } from './lease-record.js';

/** Each lease that begins, is renewed or ends, in the audit trail: whose, where, with what, and who forced a check-in. */
export function auditLeases(audit: Pick<Audit, 'lease'>) {
  return (event: LeaseEventName, lease: LeaseRecord, actor?: string): void => audit.lease({
    event,
    licenseArn: lease.licenseArn,
    lease: lease.token,
    kind: lease.kind,
    clientId: lease.clientId,
    ...(lease.person === undefined ? {} : { userId: lease.person }),
    ...(lease.nodeId === undefined ? {} : { nodeId: lease.nodeId }),
    entitlements: lease.entitlements.map(({ Name, Value }) => `${Name}:${Value}`),
    ...(actor === undefined ? {} : { actor }),
  });
}
