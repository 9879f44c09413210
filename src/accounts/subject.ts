/** OpenID Connect's bound on a subject (Core §2), which every subject here keeps. */
export const SUBJECT_MAX_CHARACTERS = 255;

/** An upstream provider's or a trusted issuer's id, and the colon after which their person's own subject follows. */
const NAMESPACE = /^[a-z0-9-]{1,32}:/;

/**
 * The one rule for a subject, whoever names it: an account of the configuration file or the Admin
 * API, or an upstream provider's or a trusted issuer's person (their own subject, behind their
 * `<id>:`). 1 to 255 characters, none of them a control character, in well-formed Unicode: a lone
 * surrogate is written to Redis as U+FFFD, which would make two subjects one key. Spaces and
 * letters beyond ASCII are a subject's like any other: the store's keys and the API's paths carry
 * them. Answers what a subject breaks, worded to follow its field's name; undefined when nothing.
 */
export function subjectProblem(subject: string): string | undefined {
  const length = [...subject].length;
  if (length < 1 || length > SUBJECT_MAX_CHARACTERS) return `must be 1 to ${SUBJECT_MAX_CHARACTERS} characters`;
  if (/\p{Cc}/u.test(subject)) return 'must not contain control characters';
  if (/\p{Cs}/u.test(subject)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/**
 * What breaks the rule in a person as bans and minting name them: a subject of an account, or
 * `<id>:<subject>` of an upstream provider's or a trusted issuer's person. Every person who can
 * exist passes, so every one can be banned.
 */
export function personProblem(person: string): string | undefined {
  const namespace = NAMESPACE.exec(person)?.[0];
  if (subjectProblem(person) === undefined) return undefined;
  if (namespace !== undefined && subjectProblem(person.slice(namespace.length)) === undefined) return undefined;
  return `must be a subject, or <id>:<subject>, with 1 to ${SUBJECT_MAX_CHARACTERS} characters in the subject and no control characters or lone surrogates`;
}
