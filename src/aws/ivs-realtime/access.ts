import { IVS_GRANT_TYPE } from '../../grants/ivs/grant.js';
import type { Client } from '../../grants/common/client-authentication.js';
import { ivsError } from './errors.js';

/**
 * Who may do what through the IVS API, from the same client metadata the token endpoint reads:
 * only clients registered for IVS participant tokens use it; a client sees and mints for the
 * stages in its `ivs_stage_arns`; creating and deleting stages and importing keys takes `"*"`
 * (every stage), since a client could not mint for a stage it created otherwise.
 */
export function assertIvsClient(client: Client): void {
  if (!client.grantTypeAllowed(IVS_GRANT_TYPE)) {
    throw ivsError('AccessDeniedException', `client ${client.clientId} is not registered for IVS participant tokens`);
  }
}

export function mayUseStage(client: Client, stageArn: string): boolean {
  const allowed = stageArnsOf(client);
  return allowed.includes('*') || allowed.includes(stageArn);
}

export function assertMayManageIvs(client: Client, action: string): void {
  if (!stageArnsOf(client).includes('*')) {
    throw ivsError('AccessDeniedException', `client ${client.clientId} may not ${action}: that takes "*" in ivs_stage_arns`);
  }
}

function stageArnsOf(client: Client): readonly string[] {
  const value = (client as unknown as Record<string, unknown>).ivs_stage_arns;
  return Array.isArray(value) ? (value as string[]) : [];
}
