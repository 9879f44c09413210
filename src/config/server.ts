import { z } from 'zod';

import type { LogLevel } from '../observability/logger.js';

/**
 * The issuer is the exact `iss` of every token and the base every endpoint is appended to: an
 * origin only, written as a URL parser writes it back, so that no two spellings name one server.
 */
const issuerOrigin = z.url({ protocol: /^https?$/ }).superRefine((issuer, ctx) => {
  // Refinements run after a failed URL check too, which has said what is wrong already.
  if (!URL.canParse(issuer)) return;
  const { origin } = new URL(issuer);
  if (issuer !== origin) ctx.addIssue({ code: 'custom', message: `must be an origin alone, without a path, trailing slash, query or fragment: "${origin}"` });
});

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const satisfies readonly LogLevel[];

/** The listener and the process: stagepass's own top-level settings beside the store's. */
export const serverSettingsSchema = z.strictObject({
  issuer: issuerOrigin.optional().meta({
    description: 'the issuer identifier: the public `http(s)` origin of the server (scheme, host and port as a URL parser writes them back; '
      + 'a path, trailing slash, query or fragment is refused), the exact `iss` of every token',
    absent: '`http://localhost:<port>`',
  }),
  host: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')], { error: 'must be an IPv4 or IPv6 address, or localhost' }).default('0.0.0.0').meta({
    description: 'the address to listen on (also for `metrics.port`): `0.0.0.0` every IPv4 interface, `::` every interface, `127.0.0.1` this machine only',
  }),
  port: z.int().min(0).max(65535).default(3000).meta({ description: 'the port to listen on' }),
  cluster: z.boolean().default(false).meta({ description: 'one worker process per core, sharing the port; state must then live in Redis' }),
  trustProxy: z.boolean().default(false).meta({
    description: 'trust `X-Forwarded-For` (the client address for limits, lockouts and logs) and `X-Forwarded-Proto` (`Secure` cookies) from a reverse proxy; '
      + 'set it only behind one',
  }),
  logLevel: z.enum(LOG_LEVELS).default('info').meta({ description: 'the least severe log lines written' }),
  shutdownDrainSeconds: z.int().min(0).max(600).default(5).meta({
    description: 'seconds stagepass keeps answering after SIGTERM or SIGINT, `/readyz` at 503, so that a load balancer notices and stops sending before the listener closes',
  }),
  shutdownGraceSeconds: z.int().min(0).max(600).default(10).meta({ description: 'seconds requests in flight get to finish after the drain before they are cut off' }),
});

export const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: 'serve Prometheus metrics at `/metrics`' }),
  port: z.int().min(1).max(65535).optional().meta({ description: 'serve `/metrics` on this port alone, not on the main one (in cluster mode, the sum of every worker\'s)' }),
  bearerToken: z.string().min(16).optional().meta({ description: 'require `Authorization: Bearer <token>` at `/metrics`' }),
}).prefault({}).meta({ title: 'Metrics', description: 'Prometheus metrics of requests, tokens, the store and the process.' });

export const deviceFlowSchema = z.strictObject({
  interval: z.int().min(1).max(60).default(5).meta({ description: 'seconds a device must wait between polls (RFC 8628 §3.2)' }),
  expiresIn: z.int().min(10).max(3600).default(600).meta({ description: 'seconds a device code and its user code stay valid' }),
}).prefault({}).meta({ title: 'Device flow', description: 'The device authorization grant (RFC 8628): TVs and consoles that show a code to enter elsewhere.' });

export const registrationSchema = z.strictObject({
  initialAccessToken: z.string().min(16).optional().meta({
    description: 'when set, dynamic registration (`POST /reg`, and SSO OIDC RegisterClient) requires it as a bearer token',
    absent: 'registration open to anyone',
  }),
  idleExpiryDays: z.int().min(1).max(3650).default(30).meta({
    description: 'days a dynamically registered client (and its registration access token) lives unused; each use starts the count again',
  }),
}).prefault({}).meta({ title: 'Dynamic registration', description: 'Clients that register themselves (RFC 7591).' });

export const passkeysSchema = z.strictObject({
  rpId: z.string().regex(/^[a-z0-9.-]+$/, 'must be a host name').optional().meta({
    description: 'the WebAuthn relying party id passkeys are made for: the issuer\'s host name or a domain it belongs to; a passkey works only where its id does',
    absent: 'the issuer\'s host name',
  }),
  origins: z.array(issuerOrigin).min(1).optional().meta({
    description: 'the origins the sign-in and account pages are served from, which a passkey\'s signature must name',
    absent: 'the issuer',
  }),
}).prefault({}).meta({
  title: 'Passkeys',
  description: 'Passkeys (WebAuthn) people register on `/account` and sign in with: a resident key, user verification required.',
});
