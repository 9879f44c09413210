import { epochSeconds } from '../../time/clock.js';
import { defineMinter } from '../common/minter.js';
import { licensesConfigSchema } from './config.js';
import { licenseExchangeGrant } from './exchange-grant.js';
import { licenseTokenGrant } from './grant.js';
import { licenseTokenRoutes } from './token-routes.js';
import { LicenseTokenRegistry } from './token-registry.js';

export const licenseMinter = defineMinter({
  name: 'license',
  section: licensesConfigSchema,
  enabled: (licenses) => licenses.length > 0,
  policyMetadata: { license_arns: null },
  async create(licenses, { provider, store, serverKey, clock }) {
    const registry = new LicenseTokenRegistry(store, clock);
    const now = () => epochSeconds(clock);
    const issuer = provider.issuer;
    return {
      grants: [
        licenseTokenGrant({ licenses, issuer, serverKey, registry, now }),
        licenseExchangeGrant({ issuer, serverKey, registry, now }),
      ],
      routes: licenseTokenRoutes(provider, registry),
    };
  },
});
