import { describe, MintingError } from './minting-error.js';
import type { Person } from './people.js';
import type { Rights } from './rights.js';

/** Who asks a minting service for a token. */
export interface MintingCaller {
  clientId: string;
  /** What the client may mint, read from its metadata. */
  rights: Rights;
  /** The person the token is minted for, when a subject token named one; absent when a confidential client mints for itself. */
  person?: Person;
}

/** What the audit trail records of a minted token beyond who asked: what it is for and what it allows. */
export interface MintingAudit {
  resource?: string;
  capabilities?: string[];
  /** The person minted for, and their groups, whose rights the token was minted within. */
  userId?: string;
  groups?: string[];
}

/** Who is refused, in a refusal's words: the client, or the person it mints for. */
export const CLIENT_HOLDER = 'this client';
export const PERSON_HOLDER = 'this person';

/**
 * The rights a request must stay within, each with who holds them: the client's, and the person's
 * when there is one (what may be minted is what both allow).
 */
export function rightsHolders(caller: MintingCaller): { holder: string; rights: Rights }[] {
  return [
    { holder: CLIENT_HOLDER, rights: caller.rights },
    ...(caller.person ? [{ holder: PERSON_HOLDER, rights: caller.person.rights }] : []),
  ];
}

/**
 * One grant type's minting rules, free of any protocol: a typed request and its caller in, the
 * token out, or a MintingError. The token endpoint and the AWS-compatible APIs both call it.
 */
export interface MintingService<Input, Result> {
  grantType: string;
  /** The request field that names the stage, license or session, recorded in the audit trail even when the request is refused. */
  resourceField?: keyof Input & string;
  mint(input: Input, caller: MintingCaller): Promise<Result>;
  /** What the audit trail records of a minted token. */
  audited(result: Result): MintingAudit;
}

export type RateDecision = { allowed: true } | { allowed: false; limit: number; retryAfter: number };

/** The token rate a client is held to, shared with the token endpoint. */
export interface TokenRate {
  take(clientId: string, grantType: string): Promise<RateDecision>;
}

export interface MintingAuditFields extends MintingAudit {
  clientId: string;
  userId?: string;
  grantType: string;
  ip?: string;
}

/** The audit trail, as minting outside the token endpoint writes to it. */
export interface MintingAuditTrail {
  tokenIssued(fields: MintingAuditFields): void;
  denied(fields: MintingAuditFields & { reason: string; description?: string }): void;
}

export type MeteredMint<Input, Result> = (input: Input, caller: MintingCaller, origin: { ip: string }) => Promise<Result>;

/**
 * A minting service as callers outside the token endpoint use it: held to the client's token rate
 * for the grant type and recorded in the audit trail, exactly as a request at the token endpoint
 * is, so the way a token is asked for changes neither.
 */
export function metered<Input, Result>(
  service: MintingService<Input, Result>,
  { rate, audit }: { rate: TokenRate; audit: MintingAuditTrail },
): MeteredMint<Input, Result> {
  return async (input, caller, origin) => {
    const resource = service.resourceField === undefined ? undefined : input[service.resourceField];
    const who = {
      clientId: caller.clientId,
      grantType: service.grantType,
      ip: origin.ip,
      ...(typeof resource === 'string' ? { resource } : {}),
      ...(caller.person ? { userId: caller.person.id, groups: [...caller.person.groups] } : {}),
    };
    try {
      const decision = await rate.take(caller.clientId, service.grantType);
      if (!decision.allowed) throw rateLimitExceeded(decision, service.grantType);
      const result = await service.mint(input, caller);
      audit.tokenIssued({ ...who, ...service.audited(result) });
      return result;
    } catch (error) {
      if (error instanceof MintingError) audit.denied({ ...who, reason: error.code, description: error.message });
      throw error;
    }
  };
}

export function rateLimitExceeded(decision: { limit: number; retryAfter: number }, grantType: string): MintingError {
  return new MintingError(
    'rate_limit_exceeded',
    describe`this client may obtain ${decision.limit} tokens per second with ${grantType}; retry after ${decision.retryAfter} s`,
    decision.retryAfter,
  );
}
