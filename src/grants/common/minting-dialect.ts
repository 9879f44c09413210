import { AwsError, SHARED_OAUTH_ERRORS, type ErrorDialect, type ExceptionTable } from '../../aws/aws-error.js';
import type { MintingError } from './minting-error.js';

/** A service whose operations call the minting services (IVS real-time, License Manager). */
export interface MintingDialect extends ErrorDialect {
  /** A minting service's refusal, as this service's exception, its fields named as this service names them. */
  fromMinting(error: MintingError): AwsError;
}

/** Builds a dialect's minting translation: the service's exception for each code, its field names in the text. */
export function mintingTranslator(
  table: ExceptionTable,
  fallback: readonly [string, number],
  fieldNames: Readonly<Record<string, string>> = {},
): (error: MintingError) => AwsError {
  return (error) => {
    const [exception, status] = table[error.code] ?? SHARED_OAUTH_ERRORS[error.code] ?? fallback;
    return new AwsError(exception, status, error.description.render(fieldNames), {
      oauthError: error.code,
      audited: true,
      ...(error.retryAfter === undefined ? {} : { retryAfter: String(error.retryAfter) }),
    });
  };
}
