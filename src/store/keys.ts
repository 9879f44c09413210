/**
 * Key layout shared by every backend, so a Redis dump reads the same as the memory map. Each key
 * names one record; on a Redis Cluster each then lives in the slot of its own key, spread over every
 * master. Only keys that one atomic step writes together share a group (see `inGroup`).
 */
export const storeKeys = {
  model: (model: string, id: string) => `model:${model}:${id}`,
  uid: (model: string, uid: string) => `uid:${model}:${uid}`,
  userCode: (model: string, userCode: string) => `usercode:${model}:${userCode}`,
  grant: (grantId: string) => `grant:${grantId}`,
  value: (key: string) => `value:${key}`,
  set: (key: string) => `set:${key}`,
  /** A set whose members each have their own end (a sorted set scored by it). */
  endingSet: (key: string) => `ending-set:${key}`,
  counted: (key: string) => `counted:${key}`,
  /** A group's leases (their ends, records, counters, claims): one hash tag, one slot. */
  lease: (group: string, name: string) => `lease:${inGroup(group, name)}`,
  /** The base every key of a roster starts with, in the roster's own group. */
  roster: (roster: string) => `roster:${inGroup(roster, '')}`,
};

/**
 * A key of the group named `group`: the keys one atomic step needs (a license's token records, its
 * limit set and its client_token claims) share one, which Redis Cluster reads as a hash tag and
 * keeps in one slot. The group comes first so that nothing of the name before it can form another tag.
 */
export const inGroup = (group: string, name: string): string => `{${group}}:${name}`;

/**
 * Refuses keys that one atomic step cannot write together on a Redis Cluster (Redis' rule: the text
 * between the first `{` and the next `}`, when not empty, picks the slot), on every backend alike,
 * so that a key left out of its group fails in every test rather than only on a cluster.
 */
export function assertOneGroup(...keys: string[]): void {
  const tags = new Set(keys.map(hashTagOf));
  if (tags.size !== 1 || tags.has(undefined)) throw new Error(`keys written in one step must share a group: ${keys.join(', ')}`);
}

function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The index fields oidc-provider puts in payloads. */
export interface IndexedFields {
  uid?: unknown;
  userCode?: unknown;
  grantId?: unknown;
}

export const asIndex = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * An index entry is a pointer written beside its record, not with it: on a Redis Cluster a crash
 * can leave it pointing at a record that was since replaced. A lookup answers only a record that
 * still carries the value it was looked up by.
 */
export function carriesIndex(payload: Record<string, unknown> | undefined, field: 'uid' | 'userCode', value: string): boolean {
  return payload !== undefined && payload[field] === value;
}
