/** License Manager's exceptions a lease operation refuses with: the API answers each by its own name. */
export type LeaseException =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'NoEntitlementsAllowedException'
  | 'EntitlementNotAllowedException'
  | 'UnsupportedDigitalSignatureMethodException'
  | 'ConflictException'
  | 'AccessDeniedException'
  | 'RateLimitExceededException';

/** A lease operation refused, named as License Manager names it; the message names the field and the rule. */
export class LeaseRefusal extends Error {
  override name = 'LeaseRefusal';

  constructor(readonly exception: LeaseException, message: string) {
    super(message);
  }
}

export const refuse = (exception: LeaseException, message: string): LeaseRefusal => new LeaseRefusal(exception, message);
