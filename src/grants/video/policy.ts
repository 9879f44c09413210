import { accessDenied, describe } from '../common/minting-error.js';
import { granted, type Rights } from '../common/rights.js';
import type { VideoRole } from './video-token.js';

/** The rights field of video tokens: the roles. */
export const VIDEO_RIGHTS = { roles: 'video_roles' } as const;
export const VIDEO_RIGHTS_FIELDS = Object.values(VIDEO_RIGHTS);

/** A token of a role the rights list; none when they list none. */
export function authorizeVideoRole(rights: Rights, role: VideoRole): void {
  const allowed = granted(rights, VIDEO_RIGHTS.roles);
  if (!allowed.includes(role)) {
    throw accessDenied(describe`this client may not mint ${role} tokens (video_roles allows ${allowed.join(', ') || 'none'})`);
  }
}
