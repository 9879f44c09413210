import { AwsError, type ExceptionTable } from '../../../aws/aws-error.js';
import { mintingTranslator, type MintingDialect } from '../../common/minting-dialect.js';

/** Statuses as the License Manager model defines them. */
const STATUSES = {
  ValidationException: 400,
  ResourceLimitExceededException: 400,
  ResourceNotFoundException: 400,
  NoEntitlementsAllowedException: 400,
  EntitlementNotAllowedException: 400,
  UnsupportedDigitalSignatureMethodException: 400,
  ConflictException: 409,
  AccessDeniedException: 401,
  AuthorizationException: 403,
  RateLimitExceededException: 429,
  ServerInternalException: 500,
} as const;

export type LicenseManagerException = keyof typeof STATUSES;

const lm = (exception: LicenseManagerException) => [exception, STATUSES[exception]] as const;

const MINTING_EXCEPTIONS: ExceptionTable = {
  invalid_request: lm('ValidationException'),
  access_denied: lm('AccessDeniedException'),
  insufficient_user_authentication: lm('AccessDeniedException'),
  unauthorized_client: lm('AccessDeniedException'),
  // A license token that was deleted, expired or issued to someone else no longer authorizes anything.
  invalid_grant: lm('AuthorizationException'),
  invalid_target: lm('ResourceNotFoundException'),
  resource_limit_exceeded: lm('ResourceLimitExceededException'),
  rate_limit_exceeded: lm('RateLimitExceededException'),
};

export function licenseManagerError(exception: LicenseManagerException, message: string): AwsError {
  return new AwsError(exception, STATUSES[exception], message);
}

export const LICENSE_MANAGER_ERRORS: MintingDialect = {
  body: (error) => ({ __type: error.exception, Message: error.message }),
  fromMinting: mintingTranslator(MINTING_EXCEPTIONS, lm('ValidationException'), {
    licenseArn: 'LicenseArn',
    roleArns: 'RoleArns',
    expirationInDays: 'ExpirationInDays',
    tokenProperties: 'TokenProperties',
    clientToken: 'ClientToken',
    assertion: 'Token',
  }),
  validation: (message) => licenseManagerError('ValidationException', message),
  internal: (message) => licenseManagerError('ServerInternalException', message),
};
