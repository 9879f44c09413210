import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

import { auditedByMintingGateway } from '../grants/common/minting-grant.js';
import type { Audit, AuditFields } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';

/** oidc-provider endpoints whose refusals are denials of a client or a person. */
const DENIAL_EVENTS = [
  'grant.error',
  'authorization.error',
  'code_verification.error',
  'device_authorization.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'registration_create.error',
  'registration_read.error',
  'registration_update.error',
  'registration_delete.error',
] as const;

/**
 * Every token the token endpoint issues and every refusal of oidc-provider's endpoints. A store
 * that cannot answer refused no one: it is an operational warning, not an event of the trail.
 */
export function auditProviderEvents(provider: Provider, audit: Audit, logger: Logger): void {
  // A minting grant's outcome is recorded by the minting gateway, as for every way of minting.
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    if (!auditedByMintingGateway(ctx)) audit.tokenIssued(requestFields(ctx));
  });
  for (const event of DENIAL_EVENTS) {
    // Typed per event by @types/oidc-provider; every one of these passes (ctx, error).
    (provider.on as (name: string, listener: (ctx: KoaContextWithOIDC, error: ProviderError) => void) => void)(event, (ctx, error) => {
      if (error.error === STORE_OUTAGE) logger.warn('store unavailable', { path: ctx.path, method: ctx.method, error: error.error_description });
      else if (!auditedByMintingGateway(ctx)) audit.denied({ ...requestFields(ctx), reason: error.error ?? 'unknown', description: error.error_description });
    });
  }
}

/** The error oidc-provider answers when its models' store cannot answer (see store-adapter). */
const STORE_OUTAGE = 'temporarily_unavailable';

type Params = Record<string, unknown>;
type ProviderError = { error?: string; error_description?: string };

function requestFields(ctx: KoaContextWithOIDC): AuditFields {
  const params = (ctx.oidc?.params ?? {}) as Params;
  const body = (typeof ctx.body === 'object' && ctx.body !== null ? ctx.body : {}) as Params;
  return {
    clientId: ctx.oidc?.client?.clientId ?? text(params.client_id),
    userId: ctx.oidc?.account?.accountId,
    grantType: text(params.grant_type),
    resource: text(params.resource),
    scope: text(body.scope) ?? text(params.scope),
    ip: ctx.ip,
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 256) : undefined;
}
