import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

import { readParams, type RawParams } from './form-params.js';
import { providerErrorOf } from './grant-errors.js';
import { recordMintingAudit } from './minting-audit.js';
import { MintingError, type FieldNames } from './minting-error.js';
import type { MintingCaller, MintingService } from './minting-service.js';
import type { People } from './people.js';
import { rightsOfClient } from './rights.js';
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

export interface TokenEndpointGrant<Input, Result> {
  service: MintingService<Input, Result>;
  parameters: readonly string[];
  /** List parameters that may also come space-separated in one value. */
  spaceSeparated?: readonly string[];
  /** The service's request fields as the form names them. */
  formNames: FieldNames;
  /** The rights fields the service checks, read from the client's metadata. */
  rightsFields: readonly string[];
  /** Whose groups decide what a person may mint. */
  people: People;
  /** The form, decoded into the service's request. */
  decode(raw: RawParams): Input;
  /** The answer: RFC 8693's shape, or RFC 6749's for the license exchange. */
  answer(result: Result): Record<string, unknown>;
}

/**
 * A minting service at the token endpoint: the form is read and decoded, the subject token names
 * the person, the service decides, and its refusals become RFC 6749 errors naming form fields.
 */
export function tokenEndpointGrant<Input, Result>(grant: TokenEndpointGrant<Input, Result>): MintingGrant {
  const { service, parameters, spaceSeparated = [], formNames, rightsFields } = grant;
  const resourceParameter = service.resourceField === undefined ? undefined : formNames[service.resourceField] ?? service.resourceField;
  return {
    grantType: service.grantType,
    parameters,
    async handle(ctx) {
      const raw = readParams(ctx, parameters, spaceSeparated);
      const resource = resourceParameter === undefined ? undefined : raw[resourceParameter];
      if (typeof resource === 'string') recordMintingAudit(ctx, { resource });
      try {
        const input = grant.decode(raw);
        const person = await resolveSubject(ctx, grant.people);
        const client = ctx.oidc.client!;
        if (person) recordMintingAudit(ctx, { userId: person.id, groups: [...person.groups] });
        const caller: MintingCaller = { clientId: client.clientId, rights: rightsOfClient(client, rightsFields), ...(person ? { person } : {}) };
        const result = await service.mint(input, caller);
        recordMintingAudit(ctx, service.audited(result));
        ctx.body = grant.answer(result);
      } catch (error) {
        throw error instanceof MintingError ? providerErrorOf(error, formNames) : error;
      }
    },
  };
}
