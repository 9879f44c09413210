import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

import { mintingClientOf } from './client-authentication.js';
import { readParams, type RawParams } from './form-params.js';
import { providerErrorOf, stepUpChallenge } from './grant-errors.js';
import { InsufficientUserAuthentication, MintingError, type FieldNames } from './minting-error.js';
import type { MintingGateway } from './minting-gateway.js';
import type { MintingService } from './minting-service.js';
import type { People } from './people.js';
import { resolveSubject } from './subject-token.js';

/** One grant type of a minter, as the token endpoint sees it. */
export interface MintingGrant {
  /** The grant_type URN clients send and must list in their grant_types. */
  grantType: string;
  /** The form parameters it reads, beside the subject token every minting grant takes. */
  parameters: readonly string[];
  handle(ctx: KoaContextWithOIDC): Promise<void>;
}

/** Every minting grant type's URN starts so (the license exchange is RFC 7523's jwt-bearer). */
export const MINTING_GRANT_TYPE_PREFIX = 'urn:stagepass:grant-type:';

/** Registered without parameters: each grant reads its own from the form (see sentForm). */
export function registerMintingGrants(provider: Provider, grants: readonly MintingGrant[]): void {
  for (const grant of grants) provider.registerGrantType(grant.grantType, (ctx) => grant.handle(ctx));
}

/** Token endpoint requests whose outcome the minting gateway recorded: oidc-provider's events then record nothing more. */
const auditedByTheGateway = new WeakSet<object>();

export function auditedByMintingGateway(ctx: object): boolean {
  return auditedByTheGateway.has(ctx);
}

/** What every minting grant at the token endpoint is built with. */
export interface MintingGrantDependencies {
  /** Whose groups decide what a person may mint. */
  people: People;
  gateway: MintingGateway;
}

export interface TokenEndpointGrant<Input, Result> extends MintingGrantDependencies {
  service: MintingService<Input, Result>;
  parameters: readonly string[];
  /** List parameters that may also come space-separated in one value. */
  spaceSeparated?: readonly string[];
  /** The service's request fields as the form names them. */
  formNames: FieldNames;
  /** The rights fields the service checks, read from the client's metadata. */
  rightsFields: readonly string[];
  /** The form, decoded into the service's request. */
  decode(raw: RawParams): Input;
  /** The answer: RFC 8693's shape, or RFC 6749's for the license exchange. */
  answer(result: Result): Record<string, unknown>;
}

/**
 * A minting service at the token endpoint, through the minting gateway: the form is read and
 * decoded and the subject token names the person once the client's rate allows it, the service
 * decides, and its refusals become RFC 6749 errors naming form fields.
 */
export function tokenEndpointGrant<Input, Result>(grant: TokenEndpointGrant<Input, Result>): MintingGrant {
  const { service, gateway, parameters, spaceSeparated = [], formNames, rightsFields } = grant;
  const resourceParameter = service.resourceField === undefined ? undefined : formNames[service.resourceField] ?? service.resourceField;
  return {
    grantType: service.grantType,
    parameters,
    async handle(ctx) {
      const raw = readParams(ctx, parameters, spaceSeparated);
      const resource = resourceParameter === undefined ? undefined : raw[resourceParameter];
      try {
        const result = await gateway.mint(service, {
          client: mintingClientOf(ctx.oidc.client!),
          ip: ctx.ip,
          resource: typeof resource === 'string' ? resource : undefined,
          rightsFields,
          request: async () => ({ input: grant.decode(raw), person: await resolveSubject(ctx, grant.people) }),
          audited: () => auditedByTheGateway.add(ctx),
        });
        ctx.body = grant.answer(result);
      } catch (error) {
        if (!(error instanceof MintingError)) throw error;
        if (error.retryAfter !== undefined) ctx.set('Retry-After', String(error.retryAfter));
        if (error instanceof InsufficientUserAuthentication) ctx.set('WWW-Authenticate', stepUpChallenge(error));
        throw providerErrorOf(error, formNames);
      }
    },
  };
}
