import type { CDPSession, Page } from 'playwright-core';

/** A credential the virtual authenticator holds, as the DevTools protocol reports it. */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  /** base64 of the user handle the relying party gave (stagepass: the subject). */
  userHandle?: string;
  signCount: number;
  /** The credential's private key (PKCS#8, base64), which lets a test hand it to another authenticator. */
  privateKey: string;
}

export interface VirtualAuthenticator {
  credentials(): Promise<VirtualCredential[]>;
  /** The same passkey on another device of the person (or another browser profile of the test). */
  addCredential(credential: VirtualCredential): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A platform authenticator in Chromium through the DevTools protocol's WebAuthn domain (CTAP2,
 * internal transport, resident keys, user verification that succeeds), which answers the page's
 * WebAuthn calls as a phone or a laptop's screen lock would, the person touching it at once.
 */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const session: CDPSession = await page.context().newCDPSession(page);
  await session.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await session.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return {
    async credentials() {
      return (await session.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[];
    },
    async addCredential(credential) {
      await session.send('WebAuthn.addCredential', { authenticatorId, credential });
    },
    async remove() {
      await session.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await session.detach();
    },
  };
}
