/**
 * The most groups a person takes from an identity provider's claim: more than any mapping needs,
 * few enough that their record (kept a year) and their tokens stay small whatever the claim lists.
 */
const MAX_GROUPS = 100;
/** The longest a stagepass group's name may be: a name taken as the provider states it is held to it. */
const MAX_GROUP_NAME_LENGTH = 64;

/**
 * Groups as an identity provider states them (an array of strings, or one space-separated
 * string), as stagepass groups: through `groupMap` when there is one (unmapped groups are
 * dropped), else by the same names, those longer than a group's name dropped. The first 100 the
 * claim gives are kept.
 */
export function groupsFromClaim(claim: unknown, groupMap: Readonly<Record<string, string>> | undefined): string[] {
  const groups = new Set<string>();
  for (const stated of statedGroups(claim)) {
    if (groups.size === MAX_GROUPS) break;
    const group = groupMap ? (Object.hasOwn(groupMap, stated) ? groupMap[stated] : undefined) : stated;
    if (group !== undefined && group.length <= MAX_GROUP_NAME_LENGTH) groups.add(group);
  }
  return [...groups];
}

function statedGroups(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string');
  return typeof claim === 'string' ? claim.split(' ').filter(Boolean) : [];
}
