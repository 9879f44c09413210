import type { Metrics } from '../../../observability/metrics.js';
import type { LicenseDirectory } from '../license-directory.js';
import type { EntitlementUsage, LeaseService } from './lease-service.js';

/** Each license's entitlements as /metrics shows them: units held by live leases, and the most there may be. */
export function publishUsage(metrics: Pick<Metrics, 'readAtScrape'>, licenses: LicenseDirectory, leases: LeaseService): void {
  const usage = async (): Promise<{ license: string; usage: EntitlementUsage }[]> => {
    const all = [...(await licenses.collection.current()).values()].filter(({ entitlements }) => entitlements.length > 0);
    const read = await Promise.all(all.map(async (license) => (await leases.usage(license)).map((usage) => ({ license: license.arn, usage }))));
    return read.flat();
  };
  const labels = ({ license, usage }: { license: string; usage: EntitlementUsage }) => ({ license, entitlement: usage.entitlement.name });
  metrics.readAtScrape({
    name: 'stagepass_license_entitlement_consumed',
    help: 'Units of a license\'s entitlement held by live leases, on every instance together',
    labelNames: ['license', 'entitlement'],
    read: async () => (await usage()).map((reading) => ({ labels: labels(reading), value: reading.usage.consumed })),
  });
  metrics.readAtScrape({
    name: 'stagepass_license_entitlement_max',
    help: 'Units of a license\'s entitlement live leases may hold at once (its maxCount)',
    labelNames: ['license', 'entitlement'],
    read: async () => (await licenses.collection.current().then((all) => [...all.values()])).flatMap((license) =>
      license.entitlements.map((entitlement) => ({ labels: { license: license.arn, entitlement: entitlement.name }, value: entitlement.maxCount }))),
  });
}
