import type { z } from 'zod';

import { AwsError, oauthTranslator, type ErrorDialect, type ExceptionTable } from '../aws-error.js';

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

const OAUTH_EXCEPTIONS: ExceptionTable = {
  invalid_request: ivs('ValidationException'),
  access_denied: ivs('AccessDeniedException'),
  unauthorized_client: ivs('AccessDeniedException'),
  invalid_target: ivs('ResourceNotFoundException'),
  invalid_client: ['UnrecognizedClientException', 403],
  server_error: ivs('InternalServerException'),
};

export function ivsError(exception: IvsException, message: string): AwsError {
  return new AwsError(exception, STATUSES[exception], message);
}

export const IVS_ERRORS: ErrorDialect = {
  // `message` as well, which the SDKs turn into the error's message.
  body: (error) => ({ exceptionMessage: error.message, message: error.message }),
  fromOAuth: oauthTranslator(OAUTH_EXCEPTIONS, { client: ivs('ValidationException'), server: ivs('InternalServerException') }, {
    stage_arn: 'stageArn',
    user_id: 'userId',
  }),
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
