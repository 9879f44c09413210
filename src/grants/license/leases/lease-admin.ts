import { z } from 'zod';

import type { AdminAction } from '../../common/admin-resource.js';
import type { LicenseDirectory } from '../license-directory.js';
import type { LeaseRecord } from './lease-record.js';
import type { LeaseService } from './lease-service.js';

const leaseView = z.object({
  consumptionToken: z.string().meta({ description: 'The LicenseConsumptionToken that names the lease' }),
  kind: z.enum(['PROVISIONAL', 'PERPETUAL', 'BORROW']),
  clientId: z.string(),
  person: z.string().optional().meta({ description: 'Whom the lease is held for; absent when the client holds it for itself' }),
  nodeId: z.string().optional(),
  entitlements: z.array(z.object({ name: z.string(), unit: z.string(), units: z.int() })),
  issuedAt: z.iso.datetime(),
  expiration: z.iso.datetime().optional().meta({ description: 'When its units come back unless extended; absent for a perpetual lease' }),
});

const view = (lease: LeaseRecord): z.output<typeof leaseView> => ({
  consumptionToken: lease.token,
  kind: lease.kind,
  clientId: lease.clientId,
  ...(lease.person === undefined ? {} : { person: lease.person }),
  ...(lease.nodeId === undefined ? {} : { nodeId: lease.nodeId }),
  entitlements: lease.entitlements.map(({ Name, Unit, Value }) => ({ name: Name, unit: Unit, units: Number(Value) })),
  issuedAt: lease.issuedAt,
  ...(lease.expiration === undefined ? {} : { expiration: lease.expiration }),
});

const notFound = (what: string) => ({ status: 404, body: { error: 'not_found', error_description: `${what} does not exist` } });

const LICENSE_PARAMETER = { arn: 'The license ARN, URL-encoded' };

/** What operators see of a license's leases, and the check-in they may force. */
export function leaseAdminActions(licenses: LicenseDirectory, leases: LeaseService): AdminAction[] {
  return [
    {
      method: 'GET', path: '/licenses/{arn}/leases', resource: 'licenses', operationId: 'listLicenseLeases', access: 'read',
      summary: 'List a license\'s live leases: who holds each, on which node, how many units of which entitlements, until when',
      pathParameters: LICENSE_PARAMETER,
      responses: { 200: { description: 'The live leases, oldest first', schema: z.object({ items: z.array(leaseView) }) } },
      errors: [404],
      async handle({ params }) {
        if (!(await licenses.find(params.arn!))) return notFound(`license ${params.arn}`);
        const live = await leases.liveLeases(params.arn!);
        return { body: { items: live.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt)).map(view) } };
      },
    },
    {
      method: 'DELETE', path: '/licenses/{arn}/leases/{token}', resource: 'licenses', operationId: 'checkInLicenseLease', access: 'write',
      summary: 'Check a lease in now, whatever the license allows its holder: its units are free on every instance at once',
      pathParameters: { ...LICENSE_PARAMETER, token: 'The lease\'s LicenseConsumptionToken, URL-encoded' },
      responses: { 204: { description: 'Checked in' } },
      errors: [404],
      async handle({ params, actor }) {
        if (!(await leases.forceCheckIn(params.arn!, params.token!, actor))) return notFound(`a live lease ${params.token} of license ${params.arn}`);
        return { status: 204, change: { id: `${params.arn}#${params.token}`, action: 'delete' } };
      },
    },
  ];
}
