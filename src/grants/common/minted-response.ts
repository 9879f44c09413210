export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/**
 * RFC 8693 §2.2.1 shape: the minted token is the access_token, token_type N_A because it is not
 * an OAuth access token, plus the vendor-shaped object the client would have got from the vendor.
 */
export function mintedTokenAnswer(
  minted: { token: string; issuedTokenType: string; expiresIn: number },
  seed: Record<string, unknown>,
): Record<string, unknown> {
  return {
    access_token: minted.token,
    issued_token_type: minted.issuedTokenType,
    token_type: 'N_A',
    expires_in: minted.expiresIn,
    ...seed,
  };
}
