import type { ClientTokenRate } from '../../limits/client-token-rate.js';
import type { Audit, AuditFields } from '../../observability/audit.js';
import { acrMeets } from '../../accounts/authentication-context.js';
import { describe, InsufficientUserAuthentication, MintingError } from './minting-error.js';
import type { MintingCaller, MintingService } from './minting-service.js';
import type { Person } from './people.js';
import { unionRights, type Rights } from './rights.js';

/** The client asking for a token, as every interface knows it once it authenticated the client. */
export interface MintingClient {
  clientId: string;
  /** A public client (no secret), whose id proves nothing. */
  isPublic: boolean;
  /** Whether its metadata lists the grant type. */
  registeredFor(grantType: string): boolean;
  /** What it may mint, read from its metadata. */
  rights(fields: readonly string[]): Rights;
}

/** One request for a token, in whatever protocol it came. */
export interface MintingCall<Input> {
  client: MintingClient;
  ip: string;
  /** What the request names (the stage, license or session), for the audit trail even when it is refused. */
  resource?: string | undefined;
  /** The rights fields the service checks. */
  rightsFields: readonly string[];
  /** The request decoded, and the person it mints for: read once the client's rate allows it. */
  request(): Promise<{ input: Input; person?: Person | undefined }>;
  /** Told when the call's outcome was recorded in the audit trail (the token endpoint then records nothing more). */
  audited?(): void;
}

/**
 * The one envelope every way of asking for a minted token goes through (the token endpoint, an
 * AWS-compatible API, a minter's own route): the client must be registered for the grant type,
 * is held to its token rate, the service decides, and the outcome is recorded in the audit trail.
 * Refusals are MintingErrors (or the interface's own errors, thrown while reading the request),
 * which each interface answers in its protocol.
 */
export class MintingGateway {
  constructor(private readonly rate: ClientTokenRate, private readonly audit: Audit) {}

  async mint<Input, Result>(service: MintingService<Input, Result>, call: MintingCall<Input>): Promise<Result> {
    const { client, ip } = call;
    const who: AuditFields = { clientId: client.clientId, grantType: service.grantType, ip, ...(call.resource === undefined ? {} : { resource: call.resource }) };
    try {
      assertRegisteredFor(client, service.grantType);
      const places = await this.rate.take(client, service.grantType, ip);
      if (!places.allowed) throw new MintingError('rate_limit_exceeded', describe`${places.message}`, places.retryAfter);
      try {
        const { input, person } = await call.request();
        if (person) Object.assign(who, { userId: person.id, groups: [...person.groups] });
        const caller = { clientId: client.clientId, rights: client.rights(call.rightsFields), ...(person ? { person } : {}) };
        assertSignInStrongEnough(service, input, caller);
        const result = await service.mint(input, caller);
        places.succeeded();
        this.audit.tokenIssued({ ...who, ...service.audited(result) });
        call.audited?.();
        return result;
      } catch (error) {
        places.failed();
        throw error;
      }
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) {
        this.audit.denied({ ...who, ...refusal });
        call.audited?.();
      }
      throw error;
    }
  }
}

/**
 * A person holds a group's rights only with a sign-in as strong and as recent as the group
 * requires. When the rights they hold refuse the request and those they would hold after a
 * stronger sign-in allow it, the answer names the weakest sign-in that would: RFC 9470's step-up.
 */
function assertSignInStrongEnough<Input>(service: MintingService<Input, unknown>, input: Input, caller: MintingCaller): void {
  const { person } = caller;
  if (!person?.withheld.length || !service.authorize) return;
  const allows = (rights: Rights) => {
    try {
      service.authorize!(input, { ...caller, person: { ...person, rights } });
      return true;
    } catch (error) {
      if (error instanceof MintingError && error.code === 'access_denied') return false;
      throw error;
    }
  };
  if (allows(person.rights)) return;
  const enough = person.withheld.filter(({ rights }) => allows(unionRights([person.rights, rights])));
  if (enough.length) {
    // Any one of them will do: the weakest sign-in among them.
    const { requires } = enough.reduce((weakest, next) => (acrMeets(weakest.requires.acr, next.requires.acr) ? next : weakest));
    throw new InsufficientUserAuthentication(requires.acr, requires.maxAgeSeconds);
  }
  if (!allows(unionRights([person.rights, ...person.withheld.map(({ rights }) => rights)]))) return;
  // Only all of them together: a sign-in that meets every one.
  const acr = person.withheld.map(({ requires }) => requires.acr).reduce((strongest, next) => (acrMeets(next, strongest) ? next : strongest));
  const ages = person.withheld.flatMap(({ requires }) => (requires.maxAgeSeconds === undefined ? [] : [requires.maxAgeSeconds]));
  throw new InsufficientUserAuthentication(acr, ages.length ? Math.min(...ages) : undefined);
}

/** A minting service as an interface that decodes its own requests calls it, through the gateway. */
export type GatewayMint<Input, Result> = (input: Input, call: { client: MintingClient; ip: string }) => Promise<Result>;

/** The service, called through the gateway with requests already decoded (the AWS APIs'). */
export function mintThrough<Input, Result>(gateway: MintingGateway, service: MintingService<Input, Result>, rightsFields: readonly string[]): GatewayMint<Input, Result> {
  return (input, { client, ip }) => {
    const resource = service.resourceField === undefined ? undefined : input[service.resourceField];
    return gateway.mint(service, { client, ip, rightsFields, resource: typeof resource === 'string' ? resource : undefined, request: async () => ({ input }) });
  };
}

/** Refused unless the client's metadata lists the grant type, whatever the interface it asks through. */
export function assertRegisteredFor(client: Pick<MintingClient, 'registeredFor'>, grantType: string): void {
  if (!client.registeredFor(grantType)) throw new MintingError('unauthorized_client', describe`this client is not registered for ${grantType}`);
}

/** A refusal of the caller, as the audit trail names it; nothing for a fault of the server or its store. */
function refusalOf(error: unknown): { reason: string; description: string } | undefined {
  if (error instanceof MintingError) return { reason: error.code, description: error.message };
  const { error: code, error_description: description, statusCode } = error as { error?: unknown; error_description?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || typeof statusCode !== 'number' || statusCode >= 500) return undefined;
  return { reason: code, description: typeof description === 'string' ? description : code };
}
