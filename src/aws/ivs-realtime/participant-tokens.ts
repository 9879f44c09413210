import { IVS_GRANT_TYPE } from '../../grants/ivs/grant.js';
import { presentCredentials } from '../client-credentials.js';
import type { Dispatch, RequestOrigin } from '../in-process-dispatch.js';
import type { SignedClient } from '../signed-client.js';
import { IVS_ERRORS } from './errors.js';
import type { CreateParticipantTokenInput } from './inputs.js';

export interface ParticipantTokenMinting {
  dispatch: Dispatch;
  tokenPath: string;
}

/**
 * CreateParticipantToken, answered by the IVS grant at stagepass's token endpoint as the signing
 * client: the same parameter rules, stage directory, ivs_stage_arns / ivs_capabilities policy,
 * token rate and audit as a form post to /token. The grant's answer already carries IVS's
 * participantToken shape.
 */
export async function mintParticipantToken(
  input: CreateParticipantTokenInput,
  signed: SignedClient,
  { dispatch, tokenPath }: ParticipantTokenMinting,
  origin: RequestOrigin,
): Promise<Record<string, unknown>> {
  const credentials = presentCredentials(signed.client, signed.client.clientId, signed.clientSecret);
  const answer = await dispatch({
    method: 'POST',
    path: tokenPath,
    form: {
      grant_type: IVS_GRANT_TYPE,
      ...credentials.form,
      stage_arn: input.stageArn,
      duration: input.duration?.toString(),
      user_id: input.userId,
      attributes: input.attributes === undefined ? undefined : JSON.stringify(input.attributes),
      capabilities: capabilitiesField(input.capabilities),
    },
    headers: credentials.headers,
  }, origin);
  if (answer.status !== 200) throw IVS_ERRORS.fromOAuth(answer);
  return answer.body.participant_token as Record<string, unknown>;
}

/**
 * An absent list means both capabilities and an empty one means none. A form cannot repeat a field
 * zero times and oidc-provider drops empty values, so the empty list goes as one blank: the grant
 * splits capabilities on spaces and keeps no empty entry.
 */
function capabilitiesField(capabilities: readonly string[] | undefined): string | readonly string[] | undefined {
  if (capabilities === undefined) return undefined;
  return capabilities.length === 0 ? ' ' : capabilities;
}
