import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { approveDevice } from '../support/flows.js';
import { client, postForm, relyingParty } from '../support/relying-party.js';
import { ScriptedUser } from '../support/scripted-user.js';
import { CLIENTS, startStagepass, USERS, type RunningStagepass } from '../support/stagepass.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const UNAMBIGUOUS_USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

describe.each(['memory', 'redis'] as const)('on the %s store', (backend) => {
  let server: RunningStagepass;
  beforeAll(async () => {
    server = await startStagepass({ redis: backend === 'redis' });
  });
  afterAll(() => server.close());

  async function startDeviceAuthorization(scope = 'openid offline_access') {
    const response = await postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope });
    expect(response.status).toBe(200);
    return response.body as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number };
  }

  const poll = (deviceCode: string) =>
    postForm(`${server.issuer}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLIENTS.native.client_id });

  describe('device authorization grant', () => {
    it('the device authorization response carries every RFC 8628 field, including the interval', async () => {
      const started = await startDeviceAuthorization();
      expect(started.user_code).toMatch(UNAMBIGUOUS_USER_CODE);
      expect(started.verification_uri).toBe(`${server.issuer}/device`);
      expect(started.verification_uri_complete).toBe(`${server.issuer}/device?user_code=${started.user_code}`);
      expect(started.expires_in).toBe(600);
      expect(started.interval).toBe(1);
      expect(started.device_code.length).toBeGreaterThan(20);
    });

    it('a device polling openid-client gets tokens for alice once she approves in the browser', async () => {
      const config = await relyingParty(server.issuer, 'native');
      const started = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
      const polling = client.pollDeviceAuthorizationGrant(config, started);
      const last = await approveDevice(new ScriptedUser(), started.verification_uri_complete!);
      expect(last.html).toContain('Device connected');
      const tokens = await polling;
      expect(tokens.claims()?.sub).toBe(USERS.alice.sub);
      expect(tokens.refresh_token).toEqual(expect.any(String));
    });

    it('the code entry page is prefilled from verification_uri_complete', async () => {
      const started = await startDeviceAuthorization();
      const page = await new ScriptedUser().visit(started.verification_uri_complete);
      expect(page.html).toMatch(new RegExp(`name="user_code"[^>]*value="${started.user_code}"`));
    });

    it('polling before the user acts answers authorization_pending', async () => {
      const started = await startDeviceAuthorization();
      const response = await poll(started.device_code);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('authorization_pending');
    });

    it('polling faster than the interval answers slow_down and adds five seconds to the interval', async () => {
      const started = await startDeviceAuthorization();
      expect((await poll(started.device_code)).body.error).toBe('authorization_pending');
      const tooSoon = await poll(started.device_code);
      expect(tooSoon.body.error).toBe('slow_down');
      // The one-second interval has passed, but this device code's interval is now six seconds.
      server.clock.advance(1_100);
      const stillTooSoon = await poll(started.device_code);
      expect(stillTooSoon.body.error).toBe('slow_down');
      expect(stillTooSoon.body.error_description).toMatch(/wait 11 s/);
    });

    it('a device polling at its interval is never told to slow down', async () => {
      const started = await startDeviceAuthorization();
      for (let i = 0; i < 3; i += 1) {
        expect((await poll(started.device_code)).body.error).toBe('authorization_pending');
        server.clock.advance(1_050);
      }
    });

    it('cancelling on the confirm page answers access_denied to the device', async () => {
      const started = await startDeviceAuthorization();
      const last = await approveDevice(new ScriptedUser(), started.verification_uri_complete, { cancelAt: 'confirm' });
      expect(last.html).toContain('Sign-in cancelled');
      const response = await poll(started.device_code);
      expect(response.body.error).toBe('access_denied');
    });

    it('denying consent answers access_denied to the device', async () => {
      const started = await startDeviceAuthorization();
      const last = await approveDevice(new ScriptedUser(), started.verification_uri_complete, { cancelAt: 'consent' });
      expect(last.html).toContain('Sign-in cancelled');
      expect((await poll(started.device_code)).body.error).toBe('access_denied');
    });

    it('an unknown device code answers invalid_grant', async () => {
      const response = await poll('not-a-device-code-that-exists');
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    });

    it('a mistyped user code shows the entry page again with an error', async () => {
      const user = new ScriptedUser();
      const entry = await user.visit(`${server.issuer}/device`);
      const retry = await user.submit(entry, '/device', { user_code: 'BBBB-BBBB' });
      expect(retry.html).toContain('That code is not valid');
      expect(retry.html).toContain('name="user_code"');
    });

    it('a device code approved once cannot be approved again', async () => {
      const started = await startDeviceAuthorization();
      await approveDevice(new ScriptedUser(), started.verification_uri_complete);
      const user = new ScriptedUser();
      const entry = await user.visit(started.verification_uri_complete);
      const again = await user.submit(entry, '/device');
      expect(again.html).toContain('already been used');
    });

    it('a code that matches no device is shown as not valid, still in the field to correct', async () => {
      const user = new ScriptedUser();
      const entry = await user.visit(`${server.issuer}/device`);
      const page = await user.submit(entry, '/device', { user_code: 'BCDF-GHJK' });
      expect(page.html).toContain('<p class="error" role="alert">That code is not valid. Check it and try again.</p>');
      expect(page.html).toMatch(/name="user_code"[^>]*value="BCDF-GHJK"/);
    });

    it('submitting no code asks for the one shown on the device', async () => {
      const user = new ScriptedUser();
      const entry = await user.visit(`${server.issuer}/device`);
      const page = await user.submit(entry, '/device', { user_code: '' });
      expect(page.html).toContain('<p class="error" role="alert">Enter the code shown on your device.</p>');
    });

    it('a device page reached without the browser session that code entry started sends the browser back to code entry', async () => {
      const page = await new ScriptedUser().visit(`${server.issuer}/device/some-interaction`);
      expect(page.url).toBe(`${server.issuer}/device`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('name="user_code"');
    });
  });
});

describe('a device code past its lifetime', () => {
  it('answers expired_token to a device that polls after it expired, on either store', async () => {
    const servers = await Promise.all([false, true].map((redis) => startStagepass({ redis, config: { deviceFlow: { interval: 1, expiresIn: 10 } } })));
    try {
      const started = await Promise.all(servers.map((server) => postForm(`${server.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid' })));
      // oidc-provider dates device codes by Date.now(), so Date alone is faked and moved past the
      // codes' lifetime; the servers' clocks (and with them the memory store's expiry) read Date
      // too. Redis keeps the record by its own clock; the store's keeping a code past its lifetime
      // is then shown by the memory store, which is held to the same lifetimes by the store contract.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 11_000);
      const polled = await Promise.all(servers.map((server, i) => postForm(`${server.issuer}/token`, {
        grant_type: DEVICE_GRANT, device_code: String(started[i]!.body.device_code), client_id: CLIENTS.native.client_id,
      }))).finally(() => vi.useRealTimers());
      for (const response of polled) {
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('expired_token');
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});
