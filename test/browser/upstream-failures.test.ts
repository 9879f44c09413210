import { createServer } from 'node:http';

import { describe, expect, it } from 'vitest';

import type { Middleware } from 'koa';

import { chromiumPage } from '../support/browser.js';
import { MIB } from '../support/hostile-responses.js';
import { client } from '../support/relying-party.js';
import { answerClientCallbacks, REDIRECT_URI, USERS } from '../support/stagepass.js';
import { upstreamPeople, type RunningUpstream } from '../support/upstream-idp.js';
import {
  authorizationUrl, callbackAfterSignIn, PAST_THE_PAUSE_MS, signInUpstream, startBoth, storedAccount,
} from '../support/upstream-sign-in.js';

// Each sign-in starts on a page as a new browser would show it: no cookies here nor upstream.
const { freshPage } = chromiumPage();
answerClientCallbacks();

describe.each([
  ['memory store', { redis: false }],
  ['Redis', { redis: true }],
] as const)('an upstream that cannot be reached or cannot be trusted (%s)', (_name, store) => {
  it('stagepass starts without it, its button says it cannot be reached, and it works once the upstream is up', async () => {
    const { server, startUpstream } = await startBoth(store, { upstreamRunning: false, config: { accounts: [] } });
    try {
      const { url } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      // With no local accounts the provider is the only way in.
      await expect(page.getByLabel('Password').count()).resolves.toBe(0);
      const [down] = await Promise.all([
        page.waitForResponse((response) => response.url().includes('/upstream/corp')),
        page.getByRole('link', { name: 'Sign in with Corp' }).click(),
      ]);
      expect(down.status()).toBe(503);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Corp cannot be reached right now');

      const upstream = await startUpstream();
      try {
        // A provider that failed is asked again once a pause (up to 30 seconds) has passed.
        server.clock.advance(PAST_THE_PAUSE_MS);
        await page.goBack();
        await signInUpstream(page, upstream);
        await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
      } finally {
        await upstream.close();
      }
    } finally {
      await server.close();
    }
  });

  it('a provider whose discovery fails is asked again only after a pause, not at every click, and used once it answers', async () => {
    const { server, upstreamPort, startUpstream } = await startBoth(store, { upstreamRunning: false });
    let discoveries = 0;
    const failing = createServer((_req, res) => {
      discoveries += 1;
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((resolve) => failing.listen(upstreamPort, '127.0.0.1', resolve));
    let upstream: RunningUpstream | undefined;
    try {
      const { url } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      const button = new URL((await page.getByRole('link', { name: 'Sign in with Corp' }).getAttribute('href'))!, server.issuer).href;
      await server.clock.stoppedDuring(async () => {
        // Past the pause after stagepass's discovery at start, which found nothing on the port.
        server.clock.advance(PAST_THE_PAUSE_MS);
        expect((await page.goto(button))?.status()).toBe(503);
        expect(discoveries).toBe(1);
        expect((await page.goto(button))?.status()).toBe(503);
        await expect(page.getByRole('alert').textContent()).resolves.toContain('Corp cannot be reached right now');
        expect(discoveries).toBe(1);

        failing.closeAllConnections();
        await new Promise((resolve) => failing.close(resolve));
        upstream = await startUpstream();
        server.clock.advance(PAST_THE_PAUSE_MS);
        await page.goto(button);
        expect(page.url().startsWith(upstream.issuer)).toBe(true);
      });
    } finally {
      failing.close();
      await upstream?.close();
      await server.close();
    }
  });

  it('a discovery document larger than 1 MiB is not taken: the button leads to a page saying the provider cannot be reached', async () => {
    const { server, upstream } = await startBoth(store);
    try {
      upstream!.answer('/.well-known/openid-configuration', padded);
      const { url } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      const [answer] = await Promise.all([
        page.waitForResponse((response) => response.url().includes('/upstream/corp')),
        page.getByRole('link', { name: 'Sign in with Corp' }).click(),
      ]);
      expect(answer.status()).toBe(503);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Corp cannot be reached right now');
      // The server answers on, and the provider is used again once its document is.
      upstream!.answer('/.well-known/openid-configuration', undefined);
      server.clock.advance(PAST_THE_PAUSE_MS);
      await page.goBack();
      await signInUpstream(page, upstream!);
      await expect(page.getByRole('heading').textContent()).resolves.toBe('Allow access?');
    } finally {
      await upstream!.close();
      await server.close();
    }
  });

  it('a token response larger than 1 MiB is not taken: a page says so and nobody is signed in', async () => {
    const { server, upstream } = await startBoth(store);
    try {
      upstream!.answer('/token', padded);
      const page = await freshPage();
      const answer = await callbackAfterSignIn(page, server, upstream!);
      expect(answer.status()).toBe(502);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('more than stagepass reads');
      expect(await storedAccount(server, 'corp:carol')).toBeUndefined();
    } finally {
      await upstream!.close();
      await server.close();
    }
  });

  it('an ID token whose signature the upstream\'s JWKS does not verify is refused with a page', async () => {
    const { server, upstream } = await startBoth(store);
    try {
      await upstream!.publishWrongKey();
      const page = await freshPage();
      const answer = await callbackAfterSignIn(page, server, upstream!);
      expect(answer.status()).toBe(502);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('failed validation');
      expect(await storedAccount(server, 'corp:carol')).toBeUndefined();
    } finally {
      await upstream!.close();
      await server.close();
    }
  });

  it('an upstream that goes down while the person signs in there gives a page saying so', async () => {
    const { server, upstream } = await startBoth(store);
    try {
      upstream!.goDownAfterNextSignIn();
      const page = await freshPage();
      const answer = await callbackAfterSignIn(page, server, upstream!);
      expect(answer.status()).toBe(503);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Corp cannot be reached right now');
    } finally {
      await server.close();
    }
  });
});

// The wait is stagepass's own 5 seconds, whatever the store: on one of them.
describe('an upstream token endpoint that does not answer in time', () => {
  const store = { redis: false } as const;

  it('a token endpoint that does not answer in time gives a page saying the provider cannot be reached', async () => {
    const { server, upstream } = await startBoth(store);
    try {
      // Held past stagepass's 5 seconds, then let go.
      upstream!.answer('/token', () => new Promise((resolve) => setTimeout(resolve, 7000)));
      const page = await freshPage();
      const answer = await callbackAfterSignIn(page, server, upstream!);
      expect(answer.status()).toBe(503);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Corp cannot be reached right now');
    } finally {
      await upstream!.close();
      await server.close();
    }
  });
});

describe.each([
  ['memory store', { redis: false }],
  ['Redis', { redis: true }],
] as const)('what stagepass says of a person an upstream signed in (%s)', (_name, store) => {
  // Someone at the upstream who gave themselves a local person's email and username there.
  const people = { ...upstreamPeople(), mallory: { name: 'Mallory', email: USERS.alice.claims.email, email_verified: true, preferred_username: USERS.alice.username, groups: [] } };

  it.each([
    ['by default', {}, false],
    ['with trustEmail', { trustEmail: true }, true],
  ])('%s, the email is as verified as stagepass trusts the provider to say, and the username is the provider\'s', async (_case, provider, verified) => {
    const { server, upstream } = await startBoth(store, { provider, people });
    try {
      const { config, url, redeem } = await authorizationUrl(server.issuer);
      const page = await freshPage();
      await page.goto(url.href);
      await signInUpstream(page, upstream!, 'mallory');
      await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole('button', { name: 'Allow' }).click()]);
      const tokens = await redeem(page.url());
      const said = { sub: 'corp:mallory', email: USERS.alice.claims.email, email_verified: verified, preferred_username: `corp:${USERS.alice.username}` };
      expect(tokens.claims()).toMatchObject(said);
      expect(await client.fetchUserInfo(config, tokens.access_token, 'corp:mallory')).toMatchObject(said);
    } finally {
      await upstream!.close();
      await server.close();
    }
  });
});

/** A document of the upstream's, padded with a field past 1 MiB: valid, and more than stagepass reads. */
const padded: Middleware = async (ctx, next) => {
  await next();
  ctx.body = { ...(ctx.body as object), padding: 'x'.repeat(2 * MIB) };
};
