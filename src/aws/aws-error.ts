import type { InternalAnswer } from './in-process-dispatch.js';

/**
 * An error answer in an AWS protocol. The SDKs pick the exception class by `exception` (sent as
 * x-amzn-ErrorType), so the name is what a caller catches; the status follows the service's model.
 */
export class AwsError extends Error {
  constructor(
    readonly exception: string,
    readonly status: number,
    message: string,
    readonly details: {
      /** The OAuth error code, for protocols whose error body carries one (SSO OIDC). */
      oauthError?: string;
      /** Seconds, as stagepass's own endpoint asked, for throttling and unavailability. */
      retryAfter?: string;
      /** Already recorded in the audit trail, by stagepass's own endpoint or the minting that refused it. */
      audited?: boolean;
    } = {},
  ) {
    super(message);
  }
}

/** How one AWS service words its errors. */
export interface ErrorDialect {
  /** The error body this service's SDK reads the message from: JSON, or a document already rendered (STS's XML). */
  body(error: AwsError): Record<string, unknown> | string;
  /** A malformed request: wrong JSON, a wrong type, a missing or out-of-range field. */
  validation(message: string): AwsError;
  /** A fault of the server. */
  internal(message: string): AwsError;
}

/** A service whose operations are answered by stagepass's own OAuth endpoints (SSO OIDC). */
export interface OAuthDialect extends ErrorDialect {
  /** An OAuth error answered by stagepass's own endpoints, as this service's exception. */
  fromOAuth(answer: InternalAnswer): AwsError;
}

export type ExceptionTable = Readonly<Record<string, readonly [exception: string, status: number]>>;

/**
 * Error answers every service shares: stagepass's rate limit (429) and a store that cannot answer
 * (503). The SDKs retry both with backoff, by status and by these names.
 */
export const SHARED_OAUTH_ERRORS: ExceptionTable = {
  rate_limit_exceeded: ['ThrottlingException', 429],
  temporarily_unavailable: ['ServiceUnavailableException', 503],
};

/**
 * Builds a dialect's OAuth translation: known codes from the service's table, anything else by
 * status (a client mistake or a server fault). Descriptions name form fields (`stage_arn`); the
 * service's own field names (`stageArn`) replace them, since those are what its callers sent.
 */
export function oauthTranslator(
  table: ExceptionTable,
  fallback: { client: readonly [string, number]; server: readonly [string, number] },
  fieldNames: Readonly<Record<string, string>> = {},
): (answer: InternalAnswer) => AwsError {
  return (answer) => {
    const code = typeof answer.body.error === 'string' ? answer.body.error : 'server_error';
    const description = typeof answer.body.error_description === 'string' ? answer.body.error_description : code;
    const [exception, status] = table[code] ?? SHARED_OAUTH_ERRORS[code] ?? (answer.status >= 500 ? fallback.server : fallback.client);
    const retryAfter = answer.headers['retry-after'];
    return new AwsError(exception, status, renameFields(description, fieldNames), {
      oauthError: code,
      audited: true,
      ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }),
    });
  };
}

function renameFields(text: string, fieldNames: Readonly<Record<string, string>>): string {
  return Object.entries(fieldNames).reduce((renamed, [form, aws]) => renamed.replace(new RegExp(`\\b${form}\\b`, 'g'), aws), text);
}
