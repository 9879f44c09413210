import { ACCESS_TOKEN_TYPE } from '../common/subject-token.js';
import { JWT_TOKEN_TYPE, mintedTokenAnswer } from '../common/minted-response.js';
import { tokenEndpointGrant, type MintingGrant, type MintingGrantDependencies } from '../common/minting-grant.js';
import type { LicenseExchangeService } from './exchange-service.js';
import { decodeExchangeForm, decodeLicenseForm, EXCHANGE_FORM_NAMES, EXCHANGE_PARAMETERS, LICENSE_FORM_NAMES, LICENSE_PARAMETERS, LICENSE_SPACE_SEPARATED } from './params.js';
import { LICENSE_RIGHTS_FIELDS } from './policy.js';
import type { LicenseMintingService } from './service.js';

/** License refresh tokens at the token endpoint, with CreateToken's answer beside RFC 8693's. */
export function licenseTokenGrant(service: LicenseMintingService, { people, gateway }: MintingGrantDependencies): MintingGrant {
  return tokenEndpointGrant({
    service,
    people,
    gateway,
    parameters: LICENSE_PARAMETERS,
    spaceSeparated: LICENSE_SPACE_SEPARATED,
    formNames: LICENSE_FORM_NAMES,
    rightsFields: LICENSE_RIGHTS_FIELDS,
    decode: decodeLicenseForm,
    answer: ({ tokenId, token, expiresIn }) => mintedTokenAnswer(
      { token, issuedTokenType: JWT_TOKEN_TYPE, expiresIn },
      { license_token: { TokenId: tokenId, TokenType: 'REFRESH_TOKEN', Token: token } },
    ),
  });
}

/** The exchange at the token endpoint (RFC 7523), answered as an OAuth access token. */
export function licenseExchangeGrant(service: LicenseExchangeService, { people, gateway }: MintingGrantDependencies): MintingGrant {
  return tokenEndpointGrant({
    service,
    people,
    gateway,
    parameters: EXCHANGE_PARAMETERS,
    formNames: EXCHANGE_FORM_NAMES,
    rightsFields: [],
    decode: decodeExchangeForm,
    answer: ({ token, expiresIn }) => ({
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      issued_token_type: ACCESS_TOKEN_TYPE,
    }),
  });
}
