/** Why a minting service refused a request; each interface answers it in its own protocol. */
export type MintingErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_target'
  | 'access_denied'
  | 'unauthorized_client'
  | 'resource_limit_exceeded'
  | 'rate_limit_exceeded'
  | 'insufficient_user_authentication';

/** A request field named in an error text. */
export class FieldRef {
  constructor(readonly field: string) {}
}

/** How an interface spells a service's request fields: the token endpoint's form names, an AWS API's JSON names. */
export type FieldNames = Readonly<Record<string, string>>;

/**
 * An error text whose field names are kept apart from the words around them, so that the token
 * endpoint says `stage_arn` and the IVS API `stageArn` without either rewriting the other's text.
 */
export class Description {
  constructor(private readonly parts: readonly (string | FieldRef)[]) {}

  /** The first field the text names: the one the error concerns. */
  get field(): string | undefined {
    return this.parts.find((part): part is FieldRef => part instanceof FieldRef)?.field;
  }

  render(names: FieldNames = {}): string {
    return this.parts.map((part) => (part instanceof FieldRef ? names[part.field] ?? part.field : part)).join('');
  }
}

/** Refers to a request field inside `describe`. */
export const field = (name: string): FieldRef => new FieldRef(name);

/** A description from a template: `describe\`${field('stageArn')} must be an IVS stage ARN\``. */
export function describe(strings: TemplateStringsArray, ...values: readonly (string | number | FieldRef)[]): Description {
  const parts: (string | FieldRef)[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(text);
    if (i < values.length) parts.push(values[i] instanceof FieldRef ? values[i] : String(values[i]));
  });
  return new Description(parts);
}

/** A minting request refused, with the code and the field it concerns. */
export class MintingError extends Error {
  override name = 'MintingError';

  constructor(
    readonly code: MintingErrorCode,
    readonly description: Description,
    /** Seconds, for a refusal the caller may retry later (the token rate). */
    readonly retryAfter?: number,
  ) {
    super(description.render());
  }

  get field(): string | undefined {
    return this.description.field;
  }
}

export const invalidRequest = (description: Description) => new MintingError('invalid_request', description);
export const invalidGrant = (description: Description) => new MintingError('invalid_grant', description);
/** The stage, license or session named does not exist here. */
export const invalidTarget = (description: Description) => new MintingError('invalid_target', description);
/** Well formed, but outside what the caller is allowed. */
export const accessDenied = (description: Description) => new MintingError('access_denied', description);
/** A configured ceiling is reached; retrying will not help until something is released. */
export const resourceLimitExceeded = (description: Description) => new MintingError('resource_limit_exceeded', description);

/**
 * The person's sign-in is weaker or older than the rights the request needs ask for (RFC 9470):
 * the app sends them through the authorization endpoint with these `acr_values` and `max_age`,
 * then asks again with the new token.
 */
export class InsufficientUserAuthentication extends MintingError {
  constructor(readonly acrValues: string, readonly maxAge: number | undefined) {
    super('insufficient_user_authentication', describe`this request needs a sign-in of ${acrValues}${maxAge === undefined ? '' : ` within the last ${maxAge} seconds`}: sign in again with acr_values=${acrValues}${maxAge === undefined ? '' : ` and max_age=${maxAge}`}`);
  }
}
