import { accessDenied, describe } from '../common/minting-error.js';
import { allows, allowsEvery, granted, type Rights } from '../common/rights.js';
import type { IvsCapability } from './participant-token.js';

/** The rights fields of IVS participant tokens: the stages (`"*"` = every stage of this server) and the capabilities. */
export const IVS_RIGHTS = { stageArns: 'ivs_stage_arns', capabilities: 'ivs_capabilities' } as const;
export const IVS_RIGHTS_FIELDS = Object.values(IVS_RIGHTS);

/** Whether the rights reach the stage: a stage outside them is not even said to exist. */
export function mayUseStage(rights: Rights, stageArn: string): boolean {
  return allows(rights, IVS_RIGHTS.stageArns, stageArn);
}

/** Creating and deleting stages and importing keys takes every stage: one could not mint for a stage one created otherwise. */
export function mayManageStages(rights: Rights): boolean {
  return allowsEvery(rights, IVS_RIGHTS.stageArns);
}

/** A token for the stage with the capabilities asked for; anything not listed is refused. */
export function authorizeIvsRequest(rights: Rights, request: { stageArn: string; capabilities: readonly IvsCapability[] }): void {
  if (!mayUseStage(rights, request.stageArn)) {
    throw accessDenied(describe`this client may not mint tokens for stage ${request.stageArn}`);
  }
  const allowed = granted(rights, IVS_RIGHTS.capabilities);
  const refused = request.capabilities.filter((capability) => !allowed.includes(capability));
  if (refused.length > 0) {
    throw accessDenied(describe`this client may not grant ${refused.join(' and ')} (ivs_capabilities allows ${allowed.join(', ') || 'none'})`);
  }
}
