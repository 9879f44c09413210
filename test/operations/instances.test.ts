import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { hashPassword } from '../../src/accounts/password.js';
import { startChildStagepass, type ChildStagepass } from '../support/child-stagepass.js';
import { approveDevice, authorizationCodeTokens } from '../support/flows.js';
import { LICENSE_CLIENTS, LICENSE_GRANT, LICENSES, mint, ROLE } from '../support/minters.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { formsIn, ScriptedUser } from '../support/scripted-user.js';
import { sleep } from '../support/sleep.js';
import { CLIENTS, newKeysDir, REDIRECT_URI, uniqueRedisPrefix, USERS } from '../support/stagepass.js';
import { authenticatorCode } from '../support/totp.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SERVICE_RATE = 4;
const LARGE_LICENSE_LIMIT = 3;
const MAX_FAILURES_PER_ACCOUNT = 5;
/** Who sets up second factors across the two instances. */
const TESS = { sub: 'sub-tess', username: 'tess', password: 'tess tests two instances', claims: {} };

let a: ChildStagepass;
let b: ChildStagepass;

beforeAll(async () => {
  const shared = {
    keysDir: await newKeysDir(),
    redisUrl: inject('redisUrl'),
    redisKeyPrefix: uniqueRedisPrefix(),
    config: {
      clients: [...Object.values(CLIENTS), LICENSE_CLIENTS.backend, LICENSE_CLIENTS.other],
      licenses: [{ arn: LICENSES.small, maxTokens: 10 }, { arn: LICENSES.large, maxTokens: LARGE_LICENSE_LIMIT }],
      limits: { tokensPerSecond: { client_credentials: SERVICE_RATE }, login: { maxFailuresPerAccount: MAX_FAILURES_PER_ACCOUNT, maxFailuresPerIp: 1000 } },
      accounts: await Promise.all([USERS.alice, TESS].map(async (person) => ({ ...person, password: await hashPassword(person.password) }))),
    },
  };
  // One after the other: the first creates the keys both share.
  a = await startChildStagepass(shared);
  b = await startChildStagepass(shared);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('two server processes on one Redis behave as one', () => {
  it('a device flow started on one instance is approved and completed on the other', async () => {
    const started = await postForm(`${a.issuer}/device/auth`, { client_id: CLIENTS.native.client_id, scope: 'openid offline_access' });
    expect(started.status).toBe(200);
    const { device_code: deviceCode, verification_uri_complete: link } = started.body as { device_code: string; verification_uri_complete: string };
    const userCode = new URL(link).searchParams.get('user_code')!;

    const last = await approveDevice(new ScriptedUser(), `${b.issuer}/device?user_code=${encodeURIComponent(userCode)}`);
    expect(last.html).toContain('Device connected');

    const polled = await postForm(`${b.issuer}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLIENTS.native.client_id });
    expect(polled.status).toBe(200);
    expect(polled.body.refresh_token).toEqual(expect.any(String));
  });

  it('of concurrent refreshes of one refresh token, spread over both instances, exactly one wins', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { tokens } = await authorizationCodeTokens(a.issuer, 'confidential');
      const refresh = (instance: ChildStagepass) => postForm(
        `${instance.issuer}/token`,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
        basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret),
      );
      const instances = [a, b, a, b, a, b];
      const results = await Promise.all(instances.map(refresh));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      // A loser told to retry (the winner might be its own late write) is refused when it does.
      const retried = await Promise.all(results.map((r, i) => (r.status === 503 ? refresh(instances[i]!) : r)));
      expect(retried.filter((r) => r.status !== 200).map((r) => r.body.error)).toEqual(Array(5).fill('invalid_grant'));
    }
  });

  it('a license client_token sent to both instances at once gives one token', async () => {
    const params = { license_arn: LICENSES.small, role_arns: ROLE, client_token: `install-${Date.now()}` };
    const [fromA, fromB] = await Promise.all([
      mint(a.issuer, LICENSE_CLIENTS.backend, LICENSE_GRANT, params),
      mint(b.issuer, LICENSE_CLIENTS.backend, LICENSE_GRANT, params),
    ]);
    expect([fromA.status, fromB.status]).toEqual([200, 200]);
    const tokenId = (answer: typeof fromA) => (answer.body.license_token as { TokenId: string }).TokenId;
    expect(tokenId(fromA)).toBe(tokenId(fromB));
  });

  it('a license\'s live-token limit holds when both instances mint for it at once', async () => {
    const request = (instance: ChildStagepass, seat: string) => mint(instance.issuer, LICENSE_CLIENTS.other, LICENSE_GRANT, {
      license_arn: LICENSES.large, client_token: `seat-${seat}-${Date.now()}`,
    });
    const liveTokens = async () => {
      const listed = await fetch(`${a.issuer}/licenses/tokens`, { headers: basicAuth(LICENSE_CLIENTS.other.client_id, LICENSE_CLIENTS.other.client_secret) });
      const { Tokens } = await listed.json() as { Tokens: { Status: string }[] };
      return Tokens.filter((token) => token.Status === 'AVAILABLE').length;
    };

    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => request(i % 2 ? a : b, `burst-${i}`)));
    const granted = burst.filter((answer) => answer.status === 200).length;
    expect(granted).toBeLessThanOrEqual(LARGE_LICENSE_LIMIT);
    expect(burst.filter((answer) => answer.status !== 200).map((answer) => answer.body.error))
      .toEqual(Array(12 - granted).fill('resource_limit_exceeded'));
    expect(await liveTokens()).toBe(granted);

    // Near the limit racing requests may all be refused; one at a time, the license fills up exactly.
    for (let seat = 0; seat < LARGE_LICENSE_LIMIT - granted; seat += 1) expect((await request(seat % 2 ? a : b, `then-${seat}`)).status).toBe(200);
    expect((await request(b, 'one-too-many')).body.error).toBe('resource_limit_exceeded');
    expect(await liveTokens()).toBe(LARGE_LICENSE_LIMIT);
  });

  it('a client that spent its token rate on one instance is refused on the other in the same second', async () => {
    const credentials = basicAuth(CLIENTS.service.client_id, CLIENTS.service.client_secret);
    const request = (instance: ChildStagepass) => postForm(`${instance.issuer}/token`, { grant_type: 'client_credentials' }, credentials);
    // Requests must fall in one one-second window; a window that rolls over mid-way is tried again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await sleep(1000 - (Date.now() % 1000) + 20);
      const second = Math.floor(Date.now() / 1000);
      const onA = [];
      for (let i = 0; i < SERVICE_RATE; i += 1) onA.push(await request(a));
      const onB = await request(b);
      if (Math.floor(Date.now() / 1000) !== second) continue;
      expect(onA.map((r) => r.status)).toEqual(Array(SERVICE_RATE).fill(200));
      expect(onB.status).toBe(429);
      expect(onB.body.error).toBe('rate_limit_exceeded');
      expect(onB.headers.get('retry-after')).toBe('1');
      return;
    }
    throw new Error('no attempt fitted in one second');
  });

  it('of 50 wrong passwords for one account sent at once to both instances, exactly the limit are checked, and the right one after them is refused', async () => {
    const user = new ScriptedUser();
    const page = await user.visit(`${a.issuer}/auth?${new URLSearchParams({
      client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`);
    const form = formsIn(page.html).find((f) => f.action.endsWith('/login'))!;
    const signIn = (instance: ChildStagepass, password: string) => user.visit(`${instance.issuer}${new URL(form.action, page.url).pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, username: USERS.alice.username, password }),
    });
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => signIn(i % 2 ? a : b, `wrong password ${i}`)));
    const checked = burst.filter((answer) => answer.status === 401).length;
    expect(checked).toBe(MAX_FAILURES_PER_ACCOUNT);
    expect(burst.filter((answer) => answer.status === 429)).toHaveLength(50 - checked);
    expect((await signIn(b, USERS.alice.password)).status).toBe(429);
  });

  it('second factors set up on one instance sign in on the other, and a code used on one is refused on the other', async () => {
    const tess = new ScriptedUser();
    let page = await tess.submit(await tess.visit(`${a.issuer}/account`), '/login', { username: TESS.username, password: TESS.password });
    page = await tess.submit(page, '/account/totp');
    const secret = /data-totp-secret>([A-Z2-7]+)</.exec(page.html)![1]!;
    const code = authenticatorCode(secret, Date.now());
    // Set up on A, confirmed on B: the pending key is in the store both share.
    const postTo = (instance: ChildStagepass, from: typeof page, suffix: string, fields: Record<string, string>) => {
      const form = formsIn(from.html).find((f) => f.action.endsWith(suffix))!;
      return tess.visit(`${instance.issuer}${new URL(form.action, from.url).pathname}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...form.fields, ...fields }),
      });
    };
    const confirmed = await postTo(b, page, '/account/totp/confirm', { code });
    expect(confirmed.html).toContain('Authenticator app set up.');
    const recovery = await tess.submit(confirmed, '/account/recovery-codes');
    const [recoveryCode] = [...recovery.html.matchAll(/<li><code>([^<]+)<\/code>/g)].map(([, found]) => found!);

    // A new browser signs in on A: the code B accepted is refused; the recovery code made on A signs in on B, once.
    const secondStep = async () => {
      const user = new ScriptedUser();
      const signIn = await user.visit(`${a.issuer}/auth?${new URLSearchParams({
        client_id: CLIENTS.confidential.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
      })}`);
      const asked = await user.submit(signIn, '/login', { username: TESS.username, password: TESS.password });
      expect(asked.html).toContain('Confirm it is you');
      return { user, asked };
    };
    const first = await secondStep();
    const replayed = await first.user.submit(first.asked, '/second-factor', { code });
    expect(replayed.html).toContain('That code was used already');
    const onB = async (attempt: Awaited<ReturnType<typeof secondStep>>) => {
      const form = formsIn(attempt.asked.html).find((f) => f.action.endsWith('/second-factor'))!;
      return attempt.user.visit(`${b.issuer}${new URL(form.action, attempt.asked.url).pathname}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...form.fields, code: recoveryCode! }),
      });
    };
    // Accepted on B, which hands the sign-in back to A's authorization endpoint, where it began.
    expect((await onB(first)).url).toMatch(new RegExp(`^${a.issuer}/auth/`));
    expect((await onB(await secondStep())).status).toBe(401);
  });
});
