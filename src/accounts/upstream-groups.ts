/**
 * Groups as an identity provider states them (an array of strings, or one space-separated
 * string), as stagepass groups: through `groupMap` when there is one (unmapped groups are
 * dropped), else by the same names.
 */
export function groupsFromClaim(claim: unknown, groupMap: Readonly<Record<string, string>> | undefined): string[] {
  const stated = Array.isArray(claim)
    ? claim.filter((group): group is string => typeof group === 'string')
    : typeof claim === 'string' ? claim.split(' ').filter(Boolean) : [];
  const mapped = groupMap ? stated.flatMap((group) => (Object.hasOwn(groupMap, group) ? [groupMap[group]!] : [])) : stated;
  return [...new Set(mapped)];
}
