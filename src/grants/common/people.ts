import { acrMeets } from '../../accounts/authentication-context.js';
import { type Group, type GroupRequirement, requirementOfGroup, rightsOfGroup } from '../../accounts/group-directory.js';
import type { TrustedIssuers } from '../../accounts/trusted-issuers.js';
import { everyRight, unionRights, type Rights } from './rights.js';

/** The person a token is minted for, with the rights their groups give them now. */
export interface Person {
  id: string;
  groups: readonly string[];
  /** The rights of their groups whose requirements this sign-in meets. */
  rights: Rights;
  /** The rights of their groups that need a stronger or more recent sign-in than this one, with what each needs. */
  withheld: readonly { rights: Rights; requires: GroupRequirement }[];
}

/** How the person signed in, as the subject token says: the acr, and when (epoch seconds). */
export interface SignIn {
  acr?: string | undefined;
  authTime?: number | undefined;
}

/** Group name → rights and requirement, as the configuration's `groups` section (and whoever else defines groups) gives them. */
export type GroupRights = Readonly<Record<string, Group>>;

/** The group whose rights every person has. */
export const EVERYONE = '*';

/**
 * Where a person's groups and their rights come from. Rights are read when a token is minted, so
 * a change to the groups applies to subject tokens issued before it.
 */
export interface People {
  /**
   * `groups` are the person's when the caller knows them (an external token carries them); else
   * they are looked up. `signIn` is how they signed in, which a group's requirement is judged by:
   * without it, no requirement is met.
   */
  find(id: string, groups?: readonly string[], signIn?: SignIn): Promise<Person>;
  /**
   * Whether the person may still be minted for: an account of this server until it is disabled or
   * deleted; a trusted issuer's person, who has no account here (a ban refuses them), while the
   * issuer is configured.
   */
  isActive(id: string): Promise<boolean>;
  /**
   * Whether the person's account here was ended (disabled, deleted, gone from the configuration),
   * which ends what was minted for them before. Neither a trusted issuer's person (no account here)
   * nor an upstream person whose record lapsed between sign-ins was.
   */
  isEnded(id: string): Promise<boolean>;
  /**
   * The person as they are now, for what was minted for them earlier: their groups here, or for a
   * trusted issuer's person, whose groups only their own tokens carry, `groupsThen` (those they had).
   */
  findNow(id: string, groupsThen: readonly string[]): Promise<Person>;
  /** The issuers whose JWTs name a person (RFC 8693 subject tokens of type jwt or id_token). */
  trustedIssuers: TrustedIssuers;
}

/**
 * Without group policies (`groups` not configured) a person may mint whatever the client may;
 * with them, a person has the rights of their groups and of `"*"`, and nothing else.
 */
export function peopleOf({ groupsOf, isActive, isEnded, groupRights, rightsFields, trustedIssuers, nowSeconds }: {
  groupsOf: (id: string) => Promise<readonly string[]>;
  isActive: (id: string) => Promise<boolean>;
  isEnded: (id: string) => Promise<boolean>;
  /** Read at each minting; undefined while no group is defined anywhere. */
  groupRights: () => Promise<GroupRights | undefined>;
  rightsFields: readonly string[];
  trustedIssuers: TrustedIssuers;
  /** The time sign-ins are dated by (oidc-provider's), in epoch seconds. */
  nowSeconds: () => number;
}): People {
  const people: People = {
    trustedIssuers,
    isActive,
    isEnded,
    findNow: (id, groupsThen) => people.find(id, trustedIssuers.vouchesFor(id) ? groupsThen : undefined),
    async find(id, knownGroups, signIn = {}) {
      const groups = knownGroups ?? (await groupsOf(id));
      const policies = await groupRights();
      if (policies === undefined) return { id, groups, rights: everyRight(rightsFields), withheld: [] };
      const theirs = [EVERYONE, ...groups].flatMap((group) => (Object.hasOwn(policies, group) ? [policies[group]!] : []));
      const meets = (requires: GroupRequirement | undefined) => requires === undefined || (acrMeets(signIn.acr, requires.acr)
        && (requires.maxAgeSeconds === undefined || (signIn.authTime !== undefined && nowSeconds() - signIn.authTime <= requires.maxAgeSeconds)));
      const held = theirs.filter((group) => meets(requirementOfGroup(group))).map(rightsOfGroup);
      const withheld = theirs.filter((group) => !meets(requirementOfGroup(group))).map((group) => ({ rights: rightsOfGroup(group), requires: requirementOfGroup(group)! }));
      return { id, groups, rights: unionRights(held), withheld };
    },
  };
  return people;
}
