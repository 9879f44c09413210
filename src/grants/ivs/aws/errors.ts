import type { z } from 'zod';

import { AwsError, type ExceptionTable } from '../../../aws/aws-error.js';
import { mintingTranslator, type MintingDialect } from '../../common/minting-dialect.js';

/** Statuses as the IVS real-time model defines them. */
const STATUSES = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  InternalServerException: 500,
} as const;

export type IvsException = keyof typeof STATUSES;

const ivs = (exception: IvsException) => [exception, STATUSES[exception]] as const;

const MINTING_EXCEPTIONS: ExceptionTable = {
  invalid_request: ivs('ValidationException'),
  access_denied: ivs('AccessDeniedException'),
  insufficient_user_authentication: ivs('AccessDeniedException'),
  unauthorized_client: ivs('AccessDeniedException'),
  invalid_target: ivs('ResourceNotFoundException'),
  resource_limit_exceeded: ivs('ServiceQuotaExceededException'),
};

export function ivsError(exception: IvsException, message: string): AwsError {
  return new AwsError(exception, STATUSES[exception], message);
}

export const IVS_ERRORS: MintingDialect = {
  // `message` as well, which the SDKs turn into the error's message.
  body: (error) => ({ exceptionMessage: error.message, message: error.message }),
  // The minting service names its fields as CreateParticipantToken does.
  fromMinting: mintingTranslator(MINTING_EXCEPTIONS, ivs('ValidationException')),
  validation: (message) => ivsError('ValidationException', message),
  internal: (message) => ivsError('InternalServerException', message),
};

/**
 * The ARN of a resource about to be created, refused unless the operations that take an ARN
 * (Get, Delete, CreateParticipantToken) would accept it: otherwise it could never be used or
 * deleted. Region and id are bounded; a configured account of many digits could still break it.
 */
export function assertArnUsable(arn: string, shape: z.ZodType<string>): void {
  const checked = shape.safeParse(arn);
  if (!checked.success) {
    throw ivsError('ValidationException', `the new resource's ARN (${arn.length} characters) ${checked.error.issues[0]?.message ?? 'is malformed'}: check ivs.publicKeyArn's account`);
  }
}
