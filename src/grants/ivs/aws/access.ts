import type { MintingClient } from '../../common/minting-gateway.js';
import type { MintingCaller } from '../../common/minting-service.js';
import { mayManageStages } from '../policy.js';
import type { SignedClient } from '../../../aws/signed-client.js';
import { ivsError } from './errors.js';

/** A signed call: who signed it, their rights, and where it came from. */
export interface IvsCall {
  signed: SignedClient;
  /** The signed client as the minting gateway asks after it. */
  client: MintingClient;
  caller: MintingCaller;
  ip: string;
}

/** Creating and deleting stages and importing keys take `"*"` in ivs_stage_arns (see mayManageStages). */
export function assertMayManageIvs({ signed, caller }: IvsCall, action: string): void {
  if (!mayManageStages(caller.rights)) {
    throw ivsError('AccessDeniedException', `client ${signed.client.clientId} may not ${action}: that takes "*" in ivs_stage_arns`);
  }
}
