import { describe, invalidGrant, MintingError, resourceLimitExceeded } from '../common/minting-error.js';
import type { AdmissionOutcome } from './participant-directory.js';

/** A refused admission as the minting services answer it: the limit it met, named. */
export function admissionRefusal(refused: Exclude<AdmissionOutcome, { outcome: 'admitted' }>, stageArn: string): MintingError {
  if (refused.outcome === 'not_live') return invalidGrant(describe`the participant is no longer on stage ${stageArn}`);
  return resourceLimitExceeded(describe`stage ${stageArn} is full`);
}
