import { accessDenied, describe } from '../common/minting-error.js';
import { CLIENT_HOLDER, PERSON_HOLDER, rightsHolders, type MintingCaller } from '../common/minting-service.js';
import { allows, allowsEvery, granted, intersectRights, type Rights } from '../common/rights.js';
import { IVS_CAPABILITIES, type IvsCapability } from './participant-token.js';

/**
 * The rights fields of IVS participant tokens: the stages (`"*"` = every stage of this server),
 * the capabilities, and the stages whose participants the holder may moderate.
 */
export const IVS_RIGHTS = { stageArns: 'ivs_stage_arns', capabilities: 'ivs_capabilities', moderatedStageArns: 'ivs_moderated_stage_arns' } as const;
export const IVS_RIGHTS_FIELDS = Object.values(IVS_RIGHTS);

/** Whether the rights reach the stage: a stage outside them is not even said to exist. */
export function mayUseStage(rights: Rights, stageArn: string): boolean {
  return allows(rights, IVS_RIGHTS.stageArns, stageArn);
}

/** Whether a client, and the person it acts for if any, may moderate the stage's participants. */
export function authorizeModeration(caller: MintingCaller, stageArn: string): void {
  for (const { holder, rights } of rightsHolders(caller)) {
    if (!allows(rights, IVS_RIGHTS.moderatedStageArns, stageArn)) {
      throw accessDenied(describe`${holder} may not moderate stage ${stageArn} (ivs_moderated_stage_arns)`);
    }
  }
}

/** Creating and deleting stages and importing keys takes every stage: one could not mint for a stage one created otherwise. */
export function mayManageStages(rights: Rights): boolean {
  return allowsEvery(rights, IVS_RIGHTS.stageArns);
}

/** A token for the stage with the capabilities asked for, within the client's rights and the person's; anything not listed is refused. */
export function authorizeIvsRequest(caller: MintingCaller, request: { stageArn: string; capabilities: readonly IvsCapability[] }): void {
  for (const { holder, rights } of rightsHolders(caller)) {
    if (!mayUseStage(rights, request.stageArn)) {
      throw accessDenied(describe`${holder} may not mint tokens for stage ${request.stageArn}`);
    }
    const allowed = granted(rights, IVS_RIGHTS.capabilities);
    const refused = request.capabilities.filter((capability) => !allowed.includes('*') && !allowed.includes(capability));
    if (refused.length > 0) {
      throw accessDenied(describe`${holder} may not grant ${refused.join(' and ')} (ivs_capabilities allows ${allowed.join(', ') || 'none'})`);
    }
  }
}

/**
 * The capabilities a request that names none gets: both, for a client minting for itself; for a
 * person, every capability both the client and the person may grant.
 */
export function defaultCapabilities(caller: MintingCaller): IvsCapability[] {
  if (!caller.person) return [...IVS_CAPABILITIES];
  const allowed = granted(intersectRights(caller.rights, caller.person.rights), IVS_RIGHTS.capabilities);
  return IVS_CAPABILITIES.filter((capability) => allowed.includes('*') || allowed.includes(capability));
}

/**
 * The capabilities a participant may hold on its stage now, decided anew at every exchange: the
 * client's, narrowed to the person's groups as they are now, or, once a moderator set this
 * participant's capabilities, to those (which may go beyond the person's groups, never beyond the
 * client's rights). Refused when the client, or the person without a moderator's word, may no
 * longer use the stage.
 */
export function capabilitiesAllowedNow(caller: MintingCaller, stageArn: string, moderated: readonly IvsCapability[] | undefined): IvsCapability[] {
  if (!mayUseStage(caller.rights, stageArn)) throw accessDenied(describe`${CLIENT_HOLDER} may no longer mint tokens for stage ${stageArn}`);
  const clientAllows = capabilitiesIn(caller.rights);
  if (moderated) return clientAllows.filter((capability) => moderated.includes(capability));
  if (!caller.person) return clientAllows;
  if (!mayUseStage(caller.person.rights, stageArn)) throw accessDenied(describe`${PERSON_HOLDER} may no longer join stage ${stageArn}`);
  const personAllows = capabilitiesIn(caller.person.rights);
  return clientAllows.filter((capability) => personAllows.includes(capability));
}

/** The capabilities the rights allow on the stage: none when they do not reach it. */
export function capabilitiesOn(rights: Rights, stageArn: string): IvsCapability[] {
  return mayUseStage(rights, stageArn) ? capabilitiesIn(rights) : [];
}

function capabilitiesIn(rights: Rights): IvsCapability[] {
  const allowed = granted(rights, IVS_RIGHTS.capabilities);
  return IVS_CAPABILITIES.filter((capability) => allowed.includes('*') || allowed.includes(capability));
}
