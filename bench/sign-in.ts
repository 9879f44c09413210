import { ScriptedUser } from '../test/support/scripted-user.js';
import { basicAuthorization, BENCH_CLIENT, BENCH_USER } from './fixtures.js';

/** Someone signed in to stagepass, whose session lets the benchmark collect codes and refresh tokens. */
export class BenchUser {
  readonly #user = new ScriptedUser();
  #signedIn = false;

  constructor(private readonly server: string) {}

  /** One authorization code; the first call signs in, `consent` asks for offline access. */
  async code({ consent = false } = {}): Promise<string> {
    const query = new URLSearchParams({
      client_id: BENCH_CLIENT.clientId,
      response_type: 'code',
      redirect_uri: BENCH_CLIENT.redirectUri,
      scope: consent ? 'openid offline_access' : 'openid',
      ...(consent ? { prompt: 'consent' } : {}),
    });
    let page = await this.#user.visit(`${this.server}/auth?${query}`);
    if (!this.#signedIn && page.html.includes('name="password"')) {
      page = await this.#user.submit(page, '/login', BENCH_USER);
      this.#signedIn = true;
    }
    if (page.html.includes('/confirm')) page = await this.#user.submit(page, '/confirm');
    const code = new URL(page.url).searchParams.get('code');
    if (!code) throw new Error(`no code at ${page.url} (${page.status})`);
    return code;
  }

  /** A refresh token of a grant of its own. */
  async refreshToken(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: await this.code({ consent: true }), redirect_uri: BENCH_CLIENT.redirectUri });
    const response = await fetch(`${this.server}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(BENCH_CLIENT.clientId, BENCH_CLIENT.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const tokens = (await response.json()) as { refresh_token?: string };
    if (!tokens.refresh_token) throw new Error(`no refresh token: ${JSON.stringify(tokens)}`);
    return tokens.refresh_token;
  }
}
