import { accessDenied } from '../common/grant-errors.js';
import type { IvsCapability } from './participant-token.js';

/** What a client may mint, from its `ivs_stage_arns` and `ivs_capabilities` metadata. */
export interface IvsClientPolicy {
  stageArns: readonly string[];
  capabilities: readonly string[];
}

/** `"*"` in ivs_stage_arns means every stage of this server, configured or created through the IVS API; anything not listed is refused. */
export function authorizeIvsRequest(policy: IvsClientPolicy, request: { stageArn: string; capabilities: IvsCapability[] }): void {
  if (!policy.stageArns.includes('*') && !policy.stageArns.includes(request.stageArn)) {
    throw accessDenied(`this client may not mint tokens for stage ${request.stageArn}`);
  }
  const refused = request.capabilities.filter((capability) => !policy.capabilities.includes(capability));
  if (refused.length > 0) {
    throw accessDenied(`this client may not grant ${refused.join(' and ')} (ivs_capabilities allows ${policy.capabilities.join(', ') || 'none'})`);
  }
}
