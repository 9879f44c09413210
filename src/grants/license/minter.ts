import compose from 'koa-compose';

import { LICENSE_MANAGER_API, licenseManagerApi } from './aws/api.js';
import { ASSUME_ROLE_WITH_WEB_IDENTITY } from './aws/role-callers.js';
import { stsApi } from './aws/sts.js';
import { RoleCredentials } from './role-credentials.js';
import { RoleService } from './role-service.js';
import { epochSeconds } from '../../time/clock.js';
import { findClient } from '../common/client-authentication.js';
import { defineMinter } from '../common/minter.js';
import type { LicenseConfig } from './config.js';
import { licenseExchangeService } from './exchange-service.js';
import { licenseAdminResource, LicenseDirectory } from './license-directory.js';
import { licenseExchangeGrant, licenseTokenGrant } from './grant.js';
import { MAX_EXPIRATION_DAYS } from './request.js';
import { LICENSE_GRANT_TYPE, licenseMintingService } from './service.js';
import { licenseTokenRoutes } from './token-routes.js';
import { LicenseTokenRegistry } from './token-registry.js';
import { LeaseService } from './leases/lease-service.js';
import { leaseAdminActions } from './leases/lease-admin.js';
import { auditLeases } from './leases/lease-audit.js';
import { publishUsage } from './leases/lease-metrics.js';
import { rightsOfClient } from '../common/rights.js';
import { LICENSE_RIGHTS_FIELDS } from './policy.js';
import type { LicenseTokenSources } from './token-liveness.js';

/** The `actor` of the forced check-ins that end leases with what they came from. */
const ENDED_BY = { token: 'stagepass:license-token-ended', client: 'stagepass:client-deleted', person: 'stagepass:account-ended' };

export const licenseMinter = defineMinter<LicenseConfig[]>({
  name: 'license',
  aws: LICENSE_MANAGER_API,
  // Licenses may also be added at runtime: offered too when the Admin API can add them.
  enabled: (licenses, { adminApi }) => licenses.length > 0 || adminApi,
  // Refresh tokens outlive the hour-long access tokens exchanged for them.
  serverKeyTokenSeconds: MAX_EXPIRATION_DAYS * 86_400,
  example: ([license], { issuer, clientId, clientSecret }) => license && [
    'Mint a license token (the same client_token again returns the same token):',
    `  curl -s -u ${clientId}:${clientSecret} -d grant_type=${LICENSE_GRANT_TYPE} -d license_arn=${license.arn} -d client_token=install-1 ${issuer}/token`,
  ],
  async create(configured, { provider, store, serverKey, leaseKey, clock, people, bans, gateway, audit, metrics }) {
    const licenses = new LicenseDirectory(configured, store);
    const now = () => epochSeconds(clock);
    const issuer = provider.issuer;
    const leases = new LeaseService({ issuer, licenses, store, bans, leaseKey, clock, onEvent: auditLeases(audit) });
    // A deleted token's role credentials checked out leases that must not outlive it, perpetual ones least of all.
    const registry = new LicenseTokenRegistry(store, clock, (token) => leases.endLeasesOf({ tokenId: token.TokenId, licenseArn: token.LicenseArn }, ENDED_BY.token));
    const clientExists = async (clientId: string) => (await findClient(provider, clientId)) !== undefined;
    const tokens = licenseMintingService({ licenses, bans, people, clientExists, issuer, serverKey, registry, now });
    const sources: LicenseTokenSources = {
      registry, licenses, bans, people,
      clientRights: async (clientId) => {
        const client = await findClient(provider, clientId);
        return client && rightsOfClient(client, LICENSE_RIGHTS_FIELDS);
      },
    };
    const exchange = licenseExchangeService({ issuer, serverKey, sources, now });
    publishUsage(metrics, licenses, leases);
    const credentials = new RoleCredentials(store, clock);
    const roles = new RoleService({ issuer, serverKey, sources, credentials, clock });
    return {
      grants: [licenseTokenGrant(tokens, { people, gateway }), licenseExchangeGrant(exchange, { people, gateway })],
      routes: licenseTokenRoutes(provider, registry),
      awsApi: (deps) => compose([
        licenseManagerApi({ ...deps, tokens, exchange, registry, gateway, leases, credentials, sources }),
        stsApi(roles, { ...deps, onAssumed: (fields) => deps.audit.tokenIssued({ ...fields, grantType: ASSUME_ROLE_WITH_WEB_IDENTITY }) }),
      ]),
      // What came of a license ends with it: one made again under its ARN inherits no token, role credential or lease.
      // (Its leases first, so that each is audited as the operator's.)
      adminResources: [licenseAdminResource(licenses, async (arn, actor) => {
        await leases.endLicense(arn, actor);
        await registry.endTokensOfLicense(arn);
      })],
      adminActions: leaseAdminActions(licenses, leases),
      // A deleted client's or an ended person's leases, whatever checked them out, free their units at once.
      ends: {
        client: async (clientId) => {
          await leases.endLeasesOf({ clientId }, ENDED_BY.client);
          await registry.endTokensOfClient(clientId);
        },
        person: async (sub) => {
          await leases.endLeasesOf({ person: sub }, ENDED_BY.person);
          await registry.endTokensOfPerson(sub);
        },
      },
    };
  },
});
