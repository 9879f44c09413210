import { once } from 'node:events';
import type { Server } from 'node:http';

import { exportJWK, generateKeyPair } from 'jose';
import type { Middleware } from 'koa';
import Provider from 'oidc-provider';

/** What the upstream says of a person: its own sign-in name is the key they are kept under. */
export interface UpstreamPerson {
  name: string;
  email: string;
  email_verified: boolean;
  preferred_username?: string;
  groups: string[];
  /** How the upstream says the person signed in, in its ID tokens (`acr`, `amr`); nothing said when absent. */
  signedInWith?: { acr: string; amr: string[] };
}

/** The people the upstream knows; a test may change their groups between sign-ins. */
export function upstreamPeople() {
  return {
    carol: {
      name: 'Carol Upstream',
      email: 'carol@corp.example',
      email_verified: true,
      groups: ['stage-crew', 'finance', 'visitors'] as string[],
    } as UpstreamPerson,
  };
}

export type UpstreamPeople = ReturnType<typeof upstreamPeople> & Record<string, UpstreamPerson>;

export const UPSTREAM_CLIENT = { clientId: 'stagepass', clientSecret: 'upstream-client-secret-0123456789' };

export interface RunningUpstream {
  issuer: string;
  people: UpstreamPeople;
  /** Stops the server once it has sent the browser back with a code, before anyone redeems it. */
  goDownAfterNextSignIn(): void;
  /**
   * Has requests for `path` ('/token', '/.well-known/openid-configuration' …) answered by
   * `middleware`, which may call `next` for the upstream's own answer and change it; undefined
   * gives the path back to the upstream.
   */
  answer(path: string, middleware: Middleware | undefined): void;
  /** Publishes another key under the signing key's id: its ID tokens then fail signature checks. */
  publishWrongKey(): Promise<void>;
  /** Answers userinfo with this JSON text, as a hostile or broken upstream would (its own answer again when undefined). */
  answerUserinfoWith(json: string | undefined): void;
  close(): Promise<void>;
}

/**
 * Finishes the development sign-in form's login step as oidc-provider's own does, with the
 * person's `signedInWith` added: its session, and so its ID tokens, then carry that `acr` and `amr`.
 */
function signInContextOfPeople(provider: Provider, people: UpstreamPeople): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    if ((await provider.interactionDetails(ctx.req, ctx.res)).prompt.name !== 'login') return next();
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const accountId = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('login') ?? '';
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId, ...people[accountId]?.signedInWith } }, { mergeWithLastSubmission: false });
  };
}

const SIGNING_KEY_ID = 'upstream-rs256';
const signingKey = generateKeyPair('RS256', { extractable: true }).then(async ({ privateKey }) => ({
  ...(await exportJWK(privateKey)), kid: SIGNING_KEY_ID, alg: 'RS256', use: 'sig',
}));

/**
 * A plain oidc-provider playing the upstream identity provider, with its own development sign-in
 * pages (any password), at `http://localhost:<port>`: stagepass runs at 127.0.0.1, so a browser
 * keeps the two servers' cookies apart.
 */
export async function startUpstreamIdp(port: number, redirectUri: string, people: UpstreamPeople = upstreamPeople()): Promise<RunningUpstream> {
  const issuer = `http://localhost:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: UPSTREAM_CLIENT.clientId,
      client_secret: UPSTREAM_CLIENT.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    jwks: { keys: [await signingKey] },
    cookies: { keys: ['upstream-cookie-key-0123456789'] },
    pkce: { required: () => true },
    // Without acr values of its own oidc-provider leaves `acr` out of its ID tokens.
    acrValues: [...new Set(Object.values(people).flatMap(({ signedInWith }) => (signedInWith ? [signedInWith.acr] : [])))],
    claims: {
      // How the person signed in, in every ID token (for the people whose sign-in says anything).
      openid: ['sub', 'acr', 'amr'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'groups'],
    },
    findAccount: (_ctx, sub) => {
      const person = people[sub as keyof typeof people];
      return person && { accountId: sub, claims: () => ({ sub, ...person }) };
    },
    features: { devInteractions: { enabled: true } },
  });
  provider.use(signInContextOfPeople(provider, people));
  const answers = new Map<string, Middleware>();
  provider.use((ctx, next) => (answers.get(ctx.path) ?? ((_ctx, own) => own()))(ctx, next));
  const answer = (path: string, middleware: Middleware | undefined) => {
    if (middleware) answers.set(path, middleware);
    else answers.delete(path);
  };
  const server: Server = provider.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    issuer,
    people,
    goDownAfterNextSignIn() {
      provider.once('authorization.success', (ctx) => ctx.res.once('finish', () => void close()));
    },
    answer,
    async publishWrongKey() {
      const { publicKey } = await generateKeyPair('RS256', { extractable: true });
      const keys = { keys: [{ ...(await exportJWK(publicKey)), kid: SIGNING_KEY_ID, alg: 'RS256', use: 'sig' }] };
      answers.set('/jwks', (ctx) => {
        ctx.body = keys;
      });
    },
    answerUserinfoWith(json) {
      answer(new URL(provider.urlFor('userinfo')).pathname, json === undefined ? undefined : (ctx) => {
        ctx.type = 'application/json';
        ctx.body = json;
      });
    },
    close,
  };
}
