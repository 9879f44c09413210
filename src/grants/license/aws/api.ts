import type { Middleware } from 'koa';
import type { z } from 'zod';

import { MintingError } from '../../common/minting-error.js';
import { mintingClientOf } from '../../common/client-authentication.js';
import { assertRegisteredFor, mintThrough, type MintingGateway } from '../../common/minting-gateway.js';
import type { LicenseExchangeService } from '../exchange-service.js';
import { LICENSE_RIGHTS_FIELDS } from '../policy.js';
import type { LicenseMintingService } from '../service.js';
import type { LicenseTokenRegistry } from '../token-registry.js';
import type { AwsApiDescription } from '../../common/minter.js';
import { awsEndpoint, awsOperation, nameRoute, runOperation, type AwsOperation } from '../../../aws/aws-endpoint.js';
import type { AwsApiDependencies } from '../../common/minter.js';
import { AwsError } from '../../../aws/aws-error.js';
import { authenticateSignedClient, signedRequestOf } from '../../../aws/signed-client.js';
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
}

/** An operation, and for those that mint, the grant type the client must be registered for. */
interface Operation extends AwsOperation<LicenseManagerCall> {
  grantType?: string;
}

const operation = <T>(schema: z.ZodType<T>, run: (input: T, call: LicenseManagerCall) => Promise<object>, grantType?: string): Operation =>
  ({ ...awsOperation(schema, run), ...(grantType === undefined ? {} : { grantType }) });

/**
 * AWS License Manager's token operations (awsJson1_1, SigV4 signing name `license-manager`):
 * `POST /` with the operation in X-Amz-Target.
 */
export function licenseManagerApi(deps: LicenseManagerDependencies): Middleware {
  const { provider, tokens, exchange, registry, gateway, clock, leases } = deps;
  const consumption = leaseOperations(leases);
  const asLeaseCaller = <T>(run: (input: T, caller: LeaseCaller) => Promise<object>) => (input: T, call: LicenseManagerCall) => run(input, leaseCallerOf(call));
  const operations = licenseTokenOperations({
    createToken: mintThrough(gateway, tokens, LICENSE_RIGHTS_FIELDS), getAccessToken: mintThrough(gateway, exchange, LICENSE_RIGHTS_FIELDS), registry,
  });
  const byName = new Map<string, Operation>(Object.entries({
    CreateToken: operation(createTokenInput, operations.createToken, tokens.grantType),
    GetAccessToken: operation(getAccessTokenInput, operations.getAccessToken, exchange.grantType),
    ListTokens: operation(listTokensInput, operations.listTokens),
    DeleteToken: operation(deleteTokenInput, operations.deleteToken),
    CheckoutLicense: operation(checkoutLicenseInput, asLeaseCaller(consumption.checkoutLicense)),
    CheckoutBorrowLicense: operation(checkoutBorrowLicenseInput, asLeaseCaller(consumption.checkoutBorrowLicense)),
    ExtendLicenseConsumption: operation(extendLicenseConsumptionInput, asLeaseCaller(consumption.extendLicenseConsumption)),
    CheckInLicense: operation(checkInLicenseInput, asLeaseCaller(consumption.checkInLicense)),
    GetLicense: operation(licenseArnInput, asLeaseCaller(consumption.getLicense)),
    GetLicenseUsage: operation(licenseArnInput, asLeaseCaller(consumption.getLicenseUsage)),
  } satisfies Record<(typeof OPERATIONS)[number], Operation>));

  return awsEndpoint(LICENSE_MANAGER_PREFIX, LICENSE_MANAGER_ERRORS, deps, async (ctx, body) => {
    ctx.type = 'application/x-amz-json-1.1';
    const signed = await authenticateSignedClient(signedRequestOf(ctx, body), provider, SERVICE, clock);
    const target = ctx.get('x-amz-target');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const found = ctx.method === 'POST' && ['', '/'].includes(ctx.path.slice(LICENSE_MANAGER_PREFIX.length)) ? byName.get(name) : undefined;
    if (!found) throw new AwsError('UnknownOperationException', 400, `License Manager has no operation ${target || '(no X-Amz-Target)'} at ${ctx.method} ${ctx.path} here`);
    nameRoute(ctx, `${LICENSE_MANAGER_PREFIX}#${name}`);
    const client = mintingClientOf(signed.client);
    try {
      // Before the input is read: a client that may not mint is told so whatever it sent.
      if (found.grantType !== undefined) assertRegisteredFor(client, found.grantType);
      return await runOperation(found, body, LICENSE_MANAGER_ERRORS, { client, ip: ctx.ip });
    } catch (error) {
      if (error instanceof LeaseRefusal) throw licenseManagerError(error.exception, error.message);
      throw error instanceof MintingError ? LICENSE_MANAGER_ERRORS.fromMinting(error) : error;
    }
  });
}

/** A client signing with its own id and secret acts for itself, on the licenses its `license_arns` name. */
function leaseCallerOf({ client }: LicenseManagerCall): LeaseCaller {
  const rights = client.rights([LICENSE_RIGHTS.licenseArns]);
  return { clientId: client.clientId, mayUse: (licenseArn) => allows(rights, LICENSE_RIGHTS.licenseArns, licenseArn) };
}
