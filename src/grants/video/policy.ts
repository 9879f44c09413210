import { accessDenied, describe } from '../common/minting-error.js';
import { rightsHolders, type MintingCaller } from '../common/minting-service.js';
import { allows, granted, intersectRights } from '../common/rights.js';
import type { VideoRole } from './video-token.js';

/** The rights field of video tokens: the roles. */
export const VIDEO_RIGHTS = { roles: 'video_roles' } as const;
export const VIDEO_RIGHTS_FIELDS = Object.values(VIDEO_RIGHTS);

/** A token of a role both the client's rights and the person's list; none when they list none. */
export function authorizeVideoRole(caller: MintingCaller, role: VideoRole): void {
  for (const { holder, rights } of rightsHolders(caller)) {
    if (!allows(rights, VIDEO_RIGHTS.roles, role)) {
      throw accessDenied(describe`${holder} may not mint ${role} tokens (video_roles allows ${granted(rights, VIDEO_RIGHTS.roles).join(', ') || 'none'})`);
    }
  }
}

/**
 * The role a request that names none gets: publisher, for a client minting for itself; for a
 * person, publisher when both may grant it, else subscriber when both may.
 */
export function defaultRole(caller: MintingCaller): VideoRole {
  if (!caller.person) return 'publisher';
  const both = intersectRights(caller.rights, caller.person.rights);
  const fallback: VideoRole = 'subscriber';
  return allows(both, VIDEO_RIGHTS.roles, 'publisher') || !allows(both, VIDEO_RIGHTS.roles, fallback) ? 'publisher' : fallback;
}
