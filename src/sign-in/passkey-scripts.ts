import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The scripts a page with a passkey button loads: the WebAuthn browser library, then the views' own passkeys.js. */
export const PASSKEY_SCRIPTS = ['webauthn.js', 'passkeys.js'];

/** Where the browser half of the WebAuthn library keeps its bundle (a UMD script defining `SimpleWebAuthnBrowser`), served as webauthn.js. */
export function webAuthnBrowserBundle(): Record<string, string> {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return { 'webauthn.js': join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js') };
}
