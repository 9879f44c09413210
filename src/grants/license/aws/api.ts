import type { Middleware } from 'koa';
import type { z } from 'zod';

import { MintingError } from '../../common/minting-error.js';
import { mintingClientOf } from '../../common/client-authentication.js';
import { assertRegisteredFor, mintThrough, type MintingClient, type MintingGateway } from '../../common/minting-gateway.js';
import type { LicenseExchangeService } from '../exchange-service.js';
import { LICENSE_RIGHTS_FIELDS } from '../policy.js';
import type { LicenseMintingService } from '../service.js';
import type { LicenseTokenRegistry } from '../token-registry.js';
import type { AwsApiDescription } from '../../common/minter.js';
import { awsEndpoint, awsOperation, nameRoute, runOperation, type AwsOperation } from '../../../aws/aws-endpoint.js';
import type { AwsApiDependencies } from '../../common/minter.js';
import { AwsError } from '../../../aws/aws-error.js';
import { authenticateSignedClient, authenticateTemporarySigned, signedRequestOf } from '../../../aws/signed-client.js';
import type { RoleCredentials, RoleSession } from '../role-credentials.js';
import type { LicenseTokenSources } from '../token-liveness.js';
import { roleCallerResolver, roleLeaseCaller } from './role-callers.js';
import { LICENSE_MANAGER_ERRORS, licenseManagerError } from './errors.js';
import { createTokenInput, deleteTokenInput, getAccessTokenInput, listTokensInput } from './inputs.js';
import { licenseTokenOperations, type LicenseManagerCall } from './license-tokens.js';
import { leaseOperations } from './leases.js';
import { LeaseRefusal } from '../leases/lease-refusal.js';
import {
  checkInLicenseInput, checkoutBorrowLicenseInput, checkoutLicenseInput, extendLicenseConsumptionInput, licenseArnInput,
} from '../leases/lease-request.js';
import type { LeaseCaller, LeaseService } from '../leases/lease-service.js';
import { allows } from '../../common/rights.js';
import { LICENSE_RIGHTS } from '../policy.js';

const OPERATIONS = [
  'CreateToken', 'GetAccessToken', 'ListTokens', 'DeleteToken',
  'CheckoutLicense', 'CheckoutBorrowLicense', 'ExtendLicenseConsumption', 'CheckInLicense', 'GetLicense', 'GetLicenseUsage',
] as const;

/** awsJson1_1 at /aws/license-manager, SigV4 signing name `license-manager`. */
export const LICENSE_MANAGER_API: AwsApiDescription = {
  signingName: 'license-manager', prefix: '/aws/license-manager', operations: OPERATIONS, targetPrefix: 'AWSLicenseManager.',
};
export const LICENSE_MANAGER_PREFIX = LICENSE_MANAGER_API.prefix;
const SERVICE = LICENSE_MANAGER_API.signingName;
const TARGET_PREFIX = LICENSE_MANAGER_API.targetPrefix!;

export interface LicenseManagerDependencies extends AwsApiDependencies {
  gateway: MintingGateway;
  tokens: LicenseMintingService;
  exchange: LicenseExchangeService;
  registry: LicenseTokenRegistry;
  leases: LeaseService;
  credentials: RoleCredentials;
  /** What a license token comes from, which role credentials end with. */
  sources: LicenseTokenSources;
}

/** A token operation, for a client signing with its own credentials; for those that mint, the grant type it must be registered for. */
interface TokenOperation extends AwsOperation<LicenseManagerCall> {
  kind: 'tokens';
  grantType?: string;
}

/** A lease operation, for a client signing with its own credentials or for role credentials. */
interface LeaseOperation extends AwsOperation<LeaseCaller> {
  kind: 'leases';
}

type Operation = TokenOperation | LeaseOperation;

const tokens = <T>(schema: z.ZodType<T>, run: (input: T, call: LicenseManagerCall) => Promise<object>, grantType?: string): TokenOperation =>
  ({ kind: 'tokens', ...awsOperation(schema, run), ...(grantType === undefined ? {} : { grantType }) });
const leasing = <T>(schema: z.ZodType<T>, run: (input: T, caller: LeaseCaller) => Promise<object>): LeaseOperation => ({ kind: 'leases', ...awsOperation(schema, run) });

/**
 * AWS License Manager's token and lease operations (awsJson1_1, SigV4 signing name
 * `license-manager`): `POST /` with the operation in X-Amz-Target. A client signs with its id and
 * secret; role credentials (X-Amz-Security-Token, from AssumeRoleWithWebIdentity) act for their
 * license token's person or client, on its license's leases only.
 */
export function licenseManagerApi(deps: LicenseManagerDependencies): Middleware {
  const { provider, exchange, registry, gateway, clock, leases, credentials, sources } = deps;
  const consumption = leaseOperations(leases);
  const resolveRole = roleCallerResolver(credentials);
  const operations = licenseTokenOperations({
    createToken: mintThrough(gateway, deps.tokens, LICENSE_RIGHTS_FIELDS), getAccessToken: mintThrough(gateway, exchange, LICENSE_RIGHTS_FIELDS), registry,
  });
  const byName = new Map<string, Operation>(Object.entries({
    CreateToken: tokens(createTokenInput, operations.createToken, deps.tokens.grantType),
    GetAccessToken: tokens(getAccessTokenInput, operations.getAccessToken, exchange.grantType),
    ListTokens: tokens(listTokensInput, operations.listTokens),
    DeleteToken: tokens(deleteTokenInput, operations.deleteToken),
    CheckoutLicense: leasing(checkoutLicenseInput, consumption.checkoutLicense),
    CheckoutBorrowLicense: leasing(checkoutBorrowLicenseInput, consumption.checkoutBorrowLicense),
    ExtendLicenseConsumption: leasing(extendLicenseConsumptionInput, consumption.extendLicenseConsumption),
    CheckInLicense: leasing(checkInLicenseInput, consumption.checkInLicense),
    GetLicense: leasing(licenseArnInput, consumption.getLicense),
    GetLicenseUsage: leasing(licenseArnInput, consumption.getLicenseUsage),
  } satisfies Record<(typeof OPERATIONS)[number], Operation>));

  /** Role credentials: lease operations only, while what they came from holds. */
  const runAsRole = async (found: Operation, body: Buffer, session: RoleSession) => {
    if (found.kind !== 'leases') throw licenseManagerError('AccessDeniedException', 'role credentials check out, extend, check in and borrow their license\'s leases and read the license; the token operations need the client\'s own credentials');
    return runOperation(found, body, LICENSE_MANAGER_ERRORS, await roleLeaseCaller(session, sources));
  };
  const runAsClient = async (found: Operation, body: Buffer, client: MintingClient, ip: string) => {
    if (found.kind === 'leases') return runOperation(found, body, LICENSE_MANAGER_ERRORS, clientLeaseCaller(client));
    // Before the input is read: a client that may not mint is told so whatever it sent.
    if (found.grantType !== undefined) assertRegisteredFor(client, found.grantType);
    return runOperation(found, body, LICENSE_MANAGER_ERRORS, { client, ip });
  };

  return awsEndpoint(LICENSE_MANAGER_PREFIX, LICENSE_MANAGER_ERRORS, deps, async (ctx, body) => {
    ctx.type = 'application/x-amz-json-1.1';
    const request = signedRequestOf(ctx, body);
    const signer: { client: MintingClient } | { session: RoleSession } = ctx.get('x-amz-security-token') === ''
      ? { client: mintingClientOf((await authenticateSignedClient(request, provider, SERVICE, clock)).client) }
      : { session: await authenticateTemporarySigned<RoleSession>(request, SERVICE, clock, resolveRole) };
    const target = ctx.get('x-amz-target');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const found = ctx.method === 'POST' && ['', '/'].includes(ctx.path.slice(LICENSE_MANAGER_PREFIX.length)) ? byName.get(name) : undefined;
    if (!found) throw new AwsError('UnknownOperationException', 400, `License Manager has no operation ${target || '(no X-Amz-Target)'} at ${ctx.method} ${ctx.path} here`);
    nameRoute(ctx, `${LICENSE_MANAGER_PREFIX}#${name}`);
    try {
      return await ('session' in signer ? runAsRole(found, body, signer.session) : runAsClient(found, body, signer.client, ctx.ip));
    } catch (error) {
      if (error instanceof LeaseRefusal) throw licenseManagerError(error.exception, error.message);
      throw error instanceof MintingError ? LICENSE_MANAGER_ERRORS.fromMinting(error) : error;
    }
  });
}

/** A client signing with its own id and secret acts for itself, on the licenses its `license_arns` name. */
function clientLeaseCaller(client: MintingClient): LeaseCaller {
  const rights = client.rights([LICENSE_RIGHTS.licenseArns]);
  return { clientId: client.clientId, mayUse: (licenseArn) => allows(rights, LICENSE_RIGHTS.licenseArns, licenseArn) };
}
