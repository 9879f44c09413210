import type { LicenseConfig } from '../../config/schema.js';
import type { MinterDependencies } from '../index.js';
import type { Minter } from '../common/minter.js';
import { licenseExchangeGrant } from './exchange-grant.js';
import { licenseTokenGrant } from './grant.js';
import { licenseTokenRoutes } from './token-routes.js';
import { LicenseTokenRegistry } from './token-registry.js';

export function licenseMinter(licenses: LicenseConfig[], { provider, store, serverKey, now }: MinterDependencies): Minter {
  const registry = new LicenseTokenRegistry(store);
  const issuer = provider.issuer;
  return {
    name: 'license',
    grants: [
      licenseTokenGrant({ licenses, issuer, serverKey, registry, now }),
      licenseExchangeGrant({ issuer, serverKey, registry, now }),
    ],
    routes: licenseTokenRoutes(provider, registry),
  };
}
