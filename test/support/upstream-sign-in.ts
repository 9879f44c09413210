import type { Page } from 'playwright-core';

import type { UpstreamAccount } from '../../src/accounts/upstream-accounts.js';
import { createLogger } from '../../src/observability/logger.js';
import { freePort } from './free-port.js';
import { client, relyingParty } from './relying-party.js';
import { REDIRECT_URI, startStagepass, type RunningStagepass, type StartOptions } from './stagepass.js';
import { startUpstreamIdp, UPSTREAM_CLIENT, type RunningUpstream, type UpstreamPeople } from './upstream-idp.js';

export const GROUP_MAP = { 'stage-crew': 'crew', finance: 'accounting' };

function upstreamProvider(port: number, settings: Record<string, unknown>) {
  return {
    id: 'corp', name: 'Corp', issuer: `http://localhost:${port}`, ...UPSTREAM_CLIENT, groupMap: GROUP_MAP, ...settings,
  };
}

/** Longer than stagepass leaves a provider alone after a failed discovery. */
export const PAST_THE_PAUSE_MS = 31_000;

interface BothOptions {
  upstreamRunning?: boolean;
  config?: Record<string, unknown>;
  /** Settings of the provider beside its id, name, issuer, client and group map. */
  provider?: Record<string, unknown>;
  people?: UpstreamPeople;
}

/**
 * stagepass with the upstream at `upstreamPort` (running or not), and the upstream started after
 * it when asked: stagepass's discovery at start finds nothing (waited for, so that it cannot reach
 * what a test puts on the port), so its clock is then moved past the pause it leaves the provider
 * alone for.
 */
export async function startBoth(store: Pick<StartOptions, 'redis'>, { upstreamRunning = true, config = {}, provider = {}, people }: BothOptions = {}) {
  const upstreamPort = await freePort();
  let discoveryFailed!: () => void;
  const firstDiscovery = new Promise<void>((resolve) => {
    discoveryFailed = resolve;
  });
  const logger = createLogger({
    level: 'warn',
    destination: { write: (line: string) => void (JSON.parse(line).message === 'upstream provider unreachable' && discoveryFailed()) },
  });
  const server = await startStagepass({ ...store, logger, config: { upstreamProviders: [upstreamProvider(upstreamPort, provider)], ...config } });
  await firstDiscovery;
  const redirectUri = `${server.issuer}/login/corp/callback`;
  const startUpstream = () => startUpstreamIdp(upstreamPort, redirectUri, people);
  const upstream = upstreamRunning ? await startUpstream() : undefined;
  if (upstream) server.clock.advance(PAST_THE_PAUSE_MS);
  return { server, upstream, startUpstream, redirectUri, upstreamPort };
}

/** Clicks "Sign in with Corp" and signs the person in on the upstream's own pages, consenting there. */
export async function signInUpstream(page: Page, upstream: RunningUpstream, login = 'carol') {
  await Promise.all([page.waitForURL(`${upstream.issuer}/**`), page.getByRole('link', { name: 'Sign in with Corp' }).click()]);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Starts a code flow at stagepass and signs carol in at the upstream: stagepass's answer to the upstream's callback. */
export async function callbackAfterSignIn(page: Page, server: RunningStagepass, upstream: RunningUpstream) {
  const { url } = await authorizationUrl(server.issuer);
  await page.goto(url.href);
  const answer = page.waitForResponse((response) => response.url().startsWith(`${server.issuer}/login/corp/callback`));
  await signInUpstream(page, upstream);
  return answer;
}

export async function authorizationUrl(issuer: string) {
  const config = await relyingParty(issuer, 'confidential');
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email groups',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { config, url, redeem: (callbackUrl: string) => client.authorizationCodeGrant(config, new URL(callbackUrl), { pkceCodeVerifier: verifier, expectedState: state }) };
}

export async function storedAccount(server: RunningStagepass, sub: string): Promise<UpstreamAccount | undefined> {
  const stored = await server.stagepass.store.getValue(`upstream-account:${sub}`);
  return stored === undefined ? undefined : JSON.parse(stored);
}

