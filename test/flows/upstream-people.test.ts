import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../support/free-port.js';
import { client, relyingParty } from '../support/relying-party.js';
import { formsIn, ScriptedUser, type Page } from '../support/scripted-user.js';
import { REDIRECT_URI, startStagepass, type RunningStagepass } from '../support/stagepass.js';
import { startUpstreamIdp, UPSTREAM_CLIENT, upstreamPeople, type RunningUpstream } from '../support/upstream-idp.js';

/** Nested `depth` lists deep, written as text: no serializer of this process has to survive it. */
const nestedJson = (depth: number) => `${'['.repeat(depth)}"core"${']'.repeat(depth)}`;

/** A subject longer than any person here may have. */
const LONG_SUB = 'x'.repeat(256);

describe.each([['memory', false], ['Redis', true]] as const)('what an upstream says of a person, on the %s store', (_store, redis) => {
  let server: RunningStagepass;
  let upstream: RunningUpstream;
  beforeAll(async () => {
    const upstreamPort = await freePort();
    server = await startStagepass({
      redis,
      config: { upstreamProviders: [{ id: 'corp', name: 'Corp', issuer: `http://localhost:${upstreamPort}`, ...UPSTREAM_CLIENT }] },
    });
    const people = { ...upstreamPeople(), [LONG_SUB]: { name: 'Someone Long', groups: [] as string[] } };
    upstream = await startUpstreamIdp(upstreamPort, `${server.issuer}/login/corp/callback`, people as ReturnType<typeof upstreamPeople>);
    // Corp answers only now: stagepass's discovery at start failed, and it waits out its pause before asking again.
    server.clock.advance(60_000);
  });
  afterAll(async () => {
    await upstream?.close();
    await server?.close();
  });

  /** The person signs in at Corp on its own pages, by a login Corp knows, and comes back: the page stagepass answers then. */
  async function signInThroughCorp(login: string): Promise<Page> {
    const config = await relyingParty(server.issuer, 'confidential');
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', state: client.randomState(),
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const user = new ScriptedUser();
    const signInPage = await user.visit(url.href);
    const link = /href="([^"]*\/upstream\/corp)"/.exec(signInPage.html)![1]!;
    const atCorp = await user.visit(new URL(link, signInPage.url).href);
    let page = await user.visit(atCorp.url);
    page = await user.submit(page, formsIn(page.html)[0]!.action, { login, password: 'any password' });
    page = await user.submit(page, formsIn(page.html)[0]!.action);
    return user.visit(page.url);
  }

  const storedPerson = (sub: string) => server.stagepass.store.getValue(`upstream-account:${sub}`);

  it('claims nested deeper than a person\'s record may hold give a page naming the claim, not a server error', async () => {
    upstream.answerUserinfoWith(`{"sub":"carol","name":${nestedJson(20_000)}}`);
    try {
      const page = await signInThroughCorp('carol');
      expect(page.status).toBe(502);
      expect(page.html).toContain('Sign-in did not succeed');
      expect(page.html).toContain('Corp answered with a person stagepass cannot keep: its name claim nests deeper than 32 levels.');
      expect(await storedPerson('corp:carol')).toBeUndefined();
    } finally {
      upstream.answerUserinfoWith(undefined);
    }
  });

  it('claims larger than a person\'s record may hold give a page saying so', async () => {
    upstream.answerUserinfoWith(JSON.stringify({ sub: 'carol', name: 'Carol', address: { formatted: 'x'.repeat(40_000) } }));
    try {
      const page = await signInThroughCorp('carol');
      expect(page.status).toBe(502);
      expect(page.html).toContain('Corp answered with a person stagepass cannot keep: its claims take more than 16384 bytes.');
    } finally {
      upstream.answerUserinfoWith(undefined);
    }
  });

  it('a subject no person here may have gives a page saying so, and no record', async () => {
    const page = await signInThroughCorp(LONG_SUB);
    expect(page.status).toBe(502);
    expect(page.html).toContain('Corp answered with a person stagepass cannot keep: its subject (sub) must be 1 to 255 characters.');
    expect(await storedPerson(`corp:${LONG_SUB}`)).toBeUndefined();
  });

  it('a person within the bounds signs in and goes on to the consent page', async () => {
    const page = await signInThroughCorp('carol');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Allow access?');
    expect(JSON.parse((await storedPerson('corp:carol'))!)).toMatchObject({ sub: 'corp:carol', claims: { name: 'Carol Upstream' } });
  });
});
