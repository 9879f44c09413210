import { JWT_TOKEN_TYPE, mintedTokenAnswer } from '../common/minted-response.js';
import { tokenEndpointGrant, type MintingGrant, type MintingGrantDependencies } from '../common/minting-grant.js';
import { decodeIvsForm, IVS_FORM_NAMES, IVS_PARAMETERS, IVS_SPACE_SEPARATED } from './params.js';
import { IVS_RIGHTS_FIELDS } from './policy.js';
import type { IvsMintingService } from './service.js';

/** IVS participant tokens at the token endpoint; the answer carries IVS's participantToken shape beside RFC 8693's. */
export function ivsParticipantTokenGrant(service: IvsMintingService, { people, gateway }: MintingGrantDependencies): MintingGrant {
  return tokenEndpointGrant({
    service,
    people,
    gateway,
    parameters: IVS_PARAMETERS,
    spaceSeparated: IVS_SPACE_SEPARATED,
    formNames: IVS_FORM_NAMES,
    rightsFields: IVS_RIGHTS_FIELDS,
    decode: decodeIvsForm,
    answer: ({ expiresIn, ...participantToken }) => mintedTokenAnswer(
      { token: participantToken.token, issuedTokenType: JWT_TOKEN_TYPE, expiresIn },
      { participant_token: participantToken },
    ),
  });
}
