import { accessDenied } from '../common/grant-errors.js';
import type { VideoRole } from './video-token.js';

/** A client may mint only the roles its `video_roles` metadata lists; none when it lists none. */
export function authorizeVideoRole(allowedRoles: readonly string[], role: VideoRole): void {
  if (!allowedRoles.includes(role)) {
    throw accessDenied(`this client may not mint ${role} tokens (video_roles allows ${allowedRoles.join(', ') || 'none'})`);
  }
}
