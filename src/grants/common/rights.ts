/**
 * What may be minted, by rights field (`ivs_stage_arns`, `ivs_capabilities`, `license_arns`,
 * `video_roles`, as each minter declares them): the values allowed. In an open list (ARNs) `"*"`
 * allows every value. A field that is absent allows nothing.
 */
export type Rights = Readonly<Record<string, readonly string[] | undefined>>;

/** Every right a rights field lists anywhere in the metadata: read once, where a client is. */
export function rightsFromMetadata(metadata: Readonly<Record<string, unknown>>, fields: readonly string[]): Rights {
  const rights: Record<string, readonly string[]> = {};
  for (const name of fields) {
    const value = metadata[name];
    rights[name] = Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
  }
  return rights;
}

/** The values a field lists, `"*"` included. */
export function granted(rights: Rights, field: string): readonly string[] {
  return rights[field] ?? [];
}

/** Whether the field allows `value`, by name or through `"*"`. */
export function allows(rights: Rights, field: string, value: string): boolean {
  const values = granted(rights, field);
  return values.includes('*') || values.includes(value);
}

/** Whether the field allows every value: `"*"`. */
export function allowsEvery(rights: Rights, field: string): boolean {
  return granted(rights, field).includes('*');
}

/** A client's rights: oidc-provider keeps the extra metadata fields on the client under their own names. */
export function rightsOfClient(client: object, fields: readonly string[]): Rights {
  return rightsFromMetadata(client as Readonly<Record<string, unknown>>, fields);
}

/** The values both lists allow: `"*"` on one side allows whatever the other lists. */
function bothAllow(a: readonly string[], b: readonly string[]): readonly string[] {
  if (a.includes('*')) return b;
  if (b.includes('*')) return a;
  return a.filter((value) => b.includes(value));
}

/** What both may mint: a client's rights narrowed to a person's. */
export function intersectRights(a: Rights, b: Rights): Rights {
  const fields = new Set([...Object.keys(a), ...Object.keys(b)]);
  return Object.fromEntries([...fields].map((name) => [name, bothAllow(granted(a, name), granted(b, name))]));
}

/** What any of them may mint: the rights of all of a person's groups together. */
export function unionRights(all: readonly Rights[]): Rights {
  const union: Record<string, readonly string[]> = {};
  for (const rights of all) {
    for (const [name, values = []] of Object.entries(rights)) {
      const merged = new Set([...(union[name] ?? []), ...values]);
      union[name] = merged.has('*') ? ['*'] : [...merged];
    }
  }
  return union;
}

/** Every right of every field: a person under no group policy. */
export function everyRight(fields: readonly string[]): Rights {
  return Object.fromEntries(fields.map((name) => [name, ['*']]));
}
