/**
 * A refusal of an Admin API call, answered as the rest of the server answers errors: the status
 * and an RFC 6749 style `{ error, error_description }` body.
 */
export class AdminError extends Error {
  override name = 'AdminError';
  readonly expose = true;

  constructor(
    readonly status: number,
    readonly error: string,
    readonly error_description: string,
    /** Headers the answer carries (`WWW-Authenticate` on 401 and 403). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(error_description);
  }
}

export const invalidRequest = (description: string) => new AdminError(400, 'invalid_request', description);
export const notFound = (what: string) => new AdminError(404, 'not_found', `${what} does not exist`);
export const conflict = (description: string) => new AdminError(409, 'conflict', description);
export const preconditionFailed = (what: string) =>
  new AdminError(412, 'precondition_failed', `${what} has changed since the If-Match ETag was read; read it again`);
/** A resource of the configuration file: it changes where it is defined, not here. */
export const fromConfiguration = (what: string) =>
  conflict(`${what} is defined in the configuration file and can only be changed there`);
