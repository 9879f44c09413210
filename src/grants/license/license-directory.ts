import { z } from 'zod';

import type { SetStore, ValueStore } from '../../store/store.js';
import { LayeredCollection } from '../../store/layered-collection.js';
import { VersionedCollection } from '../../store/versioned-collection.js';
import type { AdminResource } from '../common/admin-resource.js';
import { type LicenseConfig, licenseSchema } from './config.js';

/**
 * The licenses tokens may name: the configuration file's, and those added at runtime (the Admin
 * API), which every instance sees within half a second of a change anywhere.
 */
export class LicenseDirectory {
  readonly collection: LayeredCollection<LicenseConfig>;

  constructor(configured: readonly LicenseConfig[], store: ValueStore & SetStore) {
    this.collection = new LayeredCollection(configured.map((license) => [license.arn, license] as const), [
      { source: 'api', items: new VersionedCollection(store, { record: (arn) => `license:${arn}`, listing: 'licenses' }) },
    ]);
  }

  /** The license as minting and exchange see it now. */
  async find(arn: string): Promise<LicenseConfig | undefined> {
    return (await this.collection.current()).get(arn);
  }
}

const licenseView = licenseSchema.extend({ arn: z.string() });

/** What operators change of the licenses through the Admin API: a license's limits, entitlements and consumption, whole. */
export function licenseAdminResource(licenses: LicenseDirectory, end: (arn: string, actor: string) => Promise<void>): AdminResource<LicenseConfig> {
  return {
    resource: 'licenses',
    noun: 'license',
    id: { name: 'arn', description: 'The license ARN, URL-encoded' },
    collection: licenses.collection,
    view: ({ item }) => ({ ...item }),
    viewSchema: licenseView,
    createBody: licenseSchema.extend({ source: z.string().optional().meta({ description: 'Read-only; when given, "api"' }) }),
    // PUT changes the limits of a license; its ARN is the path's.
    body: licenseSchema.extend({
      arn: z.string().optional().meta({ description: 'If given, the path\'s ARN: a license cannot be renamed' }),
      source: z.string().optional().meta({ description: 'Read-only; when given, the license\'s' }),
    }),
    itemOf: (arn, body) => ({ ...(body as Omit<LicenseConfig, 'arn'>), arn }),
    creation: 'post',
    end,
    summaries: {
      list: 'List the licenses: the configuration file\'s, then those added here, by ARN',
      create: 'Add a license tokens may name, on every instance within a second',
      get: 'Read a license',
      put: 'Change a license\'s limits, entitlements and consumption; tokens and leases already live stay live',
      delete: 'Remove a license: no token is minted for it any more, and its tokens, their role credentials and its leases end at once (one added again under its ARN starts with none of them)',
    },
  };
}
