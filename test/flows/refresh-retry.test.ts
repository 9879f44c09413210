import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROTATION_RETRY_GRACE_SECONDS } from '../../src/provider/refresh-token-grant.js';
import { withFaults, type Fault, type FaultyStore } from '../support/faulty-store.js';
import { authorizationCodeTokens } from '../support/flows.js';
import { basicAuth, postForm } from '../support/relying-party.js';
import { CLIENTS, startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { STORE_BACKENDS } from '../support/stores.js';

describe.each(STORE_BACKENDS)('a refresh whose store fails halfway (%s store)', (_name, createStore) => {
  let store: FaultyStore;
  let server: RunningStagepass;
  beforeAll(async () => {
    store = withFaults(await createStore());
    server = await startStagepass({ store });
  });
  afterAll(() => server?.close());

  const auth = basicAuth(CLIENTS.confidential.client_id, CLIENTS.confidential.client_secret);
  const refresh = (refreshToken: string) => postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, auth);
  const active = async (token: string) => (await postForm(`${server.issuer}/token/introspection`, { token }, auth)).body.active;

  /** A refresh that fails at `fault`: the client is told 503 with Retry-After, as for any outage. */
  async function refreshFailingAt(refreshToken: string, fault: Fault) {
    store.failNext(fault);
    const failed = await refresh(refreshToken);
    expect(failed.status).toBe(503);
    expect(failed.body.error).toBe('temporarily_unavailable');
    expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
  }

  /** The client retries with the token it holds, and the grant lives on through the new one. */
  async function expectRetrySucceeds(refreshToken: string) {
    const retried = await refresh(refreshToken);
    expect(retried.status).toBe(200);
    const next = retried.body as { access_token: string; refresh_token: string };
    expect(await active(next.access_token)).toBe(true);
    const after = await refresh(next.refresh_token);
    expect(after.status).toBe(200);
    return after.body as { access_token: string; refresh_token: string };
  }

  const faults: [string, Fault][] = [
    ['the old token was consumed and Redis crashed before saying so', { method: 'consumeModel', model: 'RefreshToken', when: 'after' }],
    ['consuming the old token failed', { method: 'consumeModel', model: 'RefreshToken', when: 'before' }],
    ['saving the new refresh token failed', { method: 'upsertModel', model: 'RefreshToken', when: 'before' }],
    ['saving the access token failed after the rotation', { method: 'upsertModel', model: 'AccessToken', when: 'before' }],
    ['the access token was saved and Redis crashed before saying so', { method: 'upsertModel', model: 'AccessToken', when: 'after' }],
  ];
  it.each(faults)('%s: the client\'s retry with its refresh token succeeds, and the grant lives on', async (_what, fault) => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    await refreshFailingAt(tokens.refresh_token!, fault);
    await expectRetrySucceeds(tokens.refresh_token!);
  });

  it('a rotation that timed out and ran late, beating the retry\'s own: the retry is told to retry, then answered with its successor', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    await refreshFailingAt(tokens.refresh_token!, { method: 'consumeModel', model: 'RefreshToken', when: 'late' });
    // This retry saves a successor of its own, then finds the old token consumed by the late write.
    const raced = await refresh(tokens.refresh_token!);
    expect(raced.status).toBe(503);
    expect(raced.body.error).toBe('temporarily_unavailable');
    await expectRetrySucceeds(tokens.refresh_token!);
  });

  it('a retry that fails again is retried again, and never reads as reuse', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    await refreshFailingAt(tokens.refresh_token!, { method: 'upsertModel', model: 'AccessToken', when: 'before' });
    await refreshFailingAt(tokens.refresh_token!, { method: 'upsertModel', model: 'AccessToken', when: 'after' });
    await expectRetrySucceeds(tokens.refresh_token!);
  });

  it('once the retry was answered, the old refresh token used again is reuse: the grant is revoked', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    await refreshFailingAt(tokens.refresh_token!, { method: 'upsertModel', model: 'AccessToken', when: 'before' });
    const latest = await expectRetrySucceeds(tokens.refresh_token!);

    const reused = await refresh(tokens.refresh_token!);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect(await active(latest.access_token)).toBe(false);
    expect((await refresh(latest.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('a rotation answered though the store did not confirm it: the old token used after the new one is reuse, and revokes the grant', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    store.failNext({ method: 'forgetSuccessor', when: 'before' });
    const rotated = await refresh(tokens.refresh_token!);
    expect(rotated.status).toBe(200);
    const next = await refresh(rotated.body.refresh_token as string);
    expect(next.status).toBe(200);

    expect((await refresh(tokens.refresh_token!)).body.error).toBe('invalid_grant');
    expect(await active(next.body.access_token as string)).toBe(false);
  });

  it('a rotation slow to answer, raced by a retry that takes its successor and a reuse that revokes the grant: one request of the three is answered', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    // The rotation saves its successor and consumes the old token, then waits before its last step.
    const slow = store.holdNext('forgetSuccessor');
    const rotating = refresh(tokens.refresh_token!);
    await slow.reached;
    const retried = await refresh(tokens.refresh_token!);
    const reused = await refresh(tokens.refresh_token!);
    slow.release();
    const answers = [await rotating, retried, reused];

    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body.error)).toEqual(['invalid_grant', 'invalid_grant']);
    expect(await active(tokens.access_token)).toBe(false);
    expect((await refresh(retried.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('a reuse racing a rotation, whose revocation the store cuts off halfway, has still ended the grant', async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    const slow = store.holdNext('forgetSuccessor');
    const rotating = refresh(tokens.refresh_token!);
    await slow.reached;
    store.failNext({ method: 'revokeGrant', when: 'before' });
    const retried = await refresh(tokens.refresh_token!);
    slow.release();
    const rotated = (await rotating).body as { access_token: string; refresh_token: string };

    expect(retried.status).toBe(503);
    expect(await active(rotated.access_token)).toBe(false);
    expect(await active(tokens.access_token)).toBe(false);
    expect((await refresh(rotated.refresh_token)).body.error).toBe('invalid_grant');
  });

  it(`a retry after the grace window (${ROTATION_RETRY_GRACE_SECONDS} s) is reuse, and revokes the grant`, async () => {
    const { tokens } = await authorizationCodeTokens(server.issuer, 'confidential');
    await refreshFailingAt(tokens.refresh_token!, { method: 'upsertModel', model: 'AccessToken', when: 'before' });
    server.clock.advance((ROTATION_RETRY_GRACE_SECONDS + 1) * 1000);
    expect((await refresh(tokens.refresh_token!)).body.error).toBe('invalid_grant');
    expect(await active(tokens.access_token)).toBe(false);
  });
});
