import type Router from '@koa/router';

import type { MintingGrant } from './minting-grant.js';

/** A minter: its grants at the token endpoint, and any routes of its own (keys, sessions, listings). */
export interface Minter {
  name: string;
  grants: MintingGrant[];
  routes?: Router;
}
