import type { errors } from 'oidc-provider';

type ProviderError = InstanceType<typeof errors.OIDCProviderError>;

/**
 * Gives an oidc-provider error another HTTP status than its class's: Koa reads `status`,
 * oidc-provider's own error handling `statusCode`.
 */
export function withStatus<E extends ProviderError>(error: E, status: number): E {
  return Object.assign(error, { status, statusCode: status });
}
