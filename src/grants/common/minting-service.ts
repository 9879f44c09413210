import type { AuditFields } from '../../observability/audit.js';
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
export type MintingAudit = Pick<AuditFields, 'resource' | 'capabilities'>;

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
  /**
   * The policy of `mint` alone, with no effect: refuses (access_denied) what the caller's rights
   * do not allow. The gateway asks it whether rights a person holds only after a stronger sign-in
   * would decide the request.
   */
  authorize?(input: Input, caller: MintingCaller): void;
  /** What the audit trail records of a minted token. */
  audited(result: Result): MintingAudit;
}
