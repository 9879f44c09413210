import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Context, Middleware } from 'koa';
import { errors, type Provider } from 'oidc-provider';

import { readForm } from '../http/form-body.js';
import type { PageRenderer } from '../http/page-renderer.js';
import { withStatus } from '../http/with-status.js';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What oidc-provider asks of the person at this interaction: to sign in, or to approve a client. */
export type SignInStep = 'login' | 'consent';

/** The addresses of an interaction's pages and forms. */
export const interactionPaths = (uid: string) => ({
  page: `/interaction/${uid}`,
  login: `/interaction/${uid}/login`,
  secondFactor: `/interaction/${uid}/second-factor`,
  passkey: `/interaction/${uid}/passkey`,
  confirm: `/interaction/${uid}/confirm`,
  abort: `/interaction/${uid}/abort`,
  upstream: (providerId: string) => `/interaction/${uid}/upstream/${providerId}`,
});

/**
 * An interaction as the sign-in pages take it: the one the browser's cookie names (oidc-provider
 * binds it to a SameSite cookie), which must be the one the path names, and for a step's forms
 * one at that step; each form carries a CSRF token bound to the interaction.
 */
export class Interactions {
  constructor(
    private readonly provider: Provider,
    /** Keys the per-interaction CSRF token; the cookie keys serve, being secret and shared by instances. */
    private readonly csrfSecret: string,
  ) {}

  /** The interaction of this browser, at `step` when one is named. */
  async load(ctx: Context, step?: SignInStep): Promise<Interaction> {
    const interaction = await this.provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction does not match this browser session');
    return step === undefined ? interaction : atStep(interaction, step);
  }

  /** A posted form, its CSRF token checked first, and the interaction it was posted to. */
  async loadForm(ctx: Context, step?: SignInStep): Promise<{ interaction: Interaction; form: Record<string, string> }> {
    const form = await readForm(ctx);
    const interaction = await this.load(ctx);
    const expected = Buffer.from(this.csrfToken(interaction.uid));
    const given = Buffer.from(form.csrf ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw withStatus(new errors.InvalidRequest('the form has expired or did not come from this site; start again'), 403);
    }
    return { interaction: step === undefined ? interaction : atStep(interaction, step), form };
  }

  csrfToken(uid: string): string {
    return createHmac('sha256', this.csrfSecret).update(`interaction:${uid}`).digest('base64url');
  }

  /** Hands the step's outcome to oidc-provider, which goes on with the client's flow. */
  async finish(ctx: Context, result: Parameters<Provider['interactionResult']>[2]): Promise<void> {
    const returnTo = await this.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }
}

function atStep(interaction: Interaction, step: SignInStep): Interaction {
  if (interaction.prompt.name === step) return interaction;
  throw new errors.InvalidRequest(step === 'login' ? 'this sign-in step is already complete' : 'there is nothing to approve at this step');
}

/** A person sees these errors in a browser, so they get the error page rather than JSON. */
export function renderErrorsAsPage(render: PageRenderer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      if (!(thrown instanceof errors.OIDCProviderError)) throw thrown;
      const error = thrown as errors.OIDCProviderError & { statusCode: number };
      const sessionGone = error instanceof errors.SessionNotFound;
      render(ctx, 'error', sessionGone ? 'Session expired' : 'Something went wrong', {
        error: error.error,
        description: sessionGone
          ? 'This sign-in is no longer active in this browser. Go back to the application and start again.'
          : (error.error_description ?? error.message),
      });
      ctx.status = error.statusCode;
    }
  };
}
