import * as OTPAuth from 'otpauth';

/** An authenticator app's code for the base32 secret at `timestamp` (epoch ms), computed by the otpauth package, not stagepass. */
export function authenticatorCode(secret: string, timestamp: number): string {
  return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp });
}

/** The secret of an otpauth URI, read as an authenticator app reads it; fails unless it is a 6-digit, 30-second SHA-1 TOTP. */
export function secretOfUri(uri: string): string {
  const parsed = OTPAuth.URI.parse(uri);
  if (!(parsed instanceof OTPAuth.TOTP) || parsed.digits !== 6 || parsed.period !== 30 || parsed.algorithm !== 'SHA1') {
    throw new Error(`not an RFC 6238 authenticator URI: ${uri}`);
  }
  return parsed.secret.base32;
}
