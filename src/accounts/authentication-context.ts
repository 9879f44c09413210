/**
 * How a person signed in, as tokens say it: `acr` (one of stagepass's three levels, weakest
 * first) and `amr` (RFC 8176 method values).
 */
export const ACR_LEVELS = ['urn:stagepass:acr:password', 'urn:stagepass:acr:mfa', 'urn:stagepass:acr:phishing-resistant'] as const;

export type Acr = (typeof ACR_LEVELS)[number];

export const ACR_PASSWORD: Acr = ACR_LEVELS[0];
export const ACR_MFA: Acr = ACR_LEVELS[1];
export const ACR_PHISHING_RESISTANT: Acr = ACR_LEVELS[2];

export interface AuthenticationContext {
  acr: Acr;
  amr: string[];
}

/** What a sign-in proved: a password, and a second factor after it, or a passkey alone. */
export type SignInProof =
  | { method: 'password' }
  | { method: 'password+otp' }
  /** A passkey with user verification, after a password or alone; `synced` passkeys are software-held (`swk`), others `hwk`. */
  | { method: 'passkey'; synced: boolean; afterPassword: boolean };

export function authenticationContextOf(proof: SignInProof): AuthenticationContext {
  switch (proof.method) {
    case 'password':
      return { acr: ACR_PASSWORD, amr: ['pwd'] };
    case 'password+otp':
      return { acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] };
    case 'passkey':
      // User verification is the second factor of a passkey (the device's PIN or biometric), and its origin-bound signature resists phishing.
      return { acr: ACR_PHISHING_RESISTANT, amr: [...(proof.afterPassword ? ['pwd'] : []), proof.synced ? 'swk' : 'hwk', 'user', 'mfa'] };
  }
}

/** Whether `acr` is at least `required` (an unknown acr meets nothing but itself). */
export function acrMeets(acr: string | undefined, required: string): boolean {
  if (acr === required) return true;
  const [have, need] = [ACR_LEVELS.indexOf(acr as Acr), ACR_LEVELS.indexOf(required as Acr)];
  return have >= 0 && need >= 0 && have >= need;
}
