import type { KoaContextWithOIDC } from 'oidc-provider';

import type { PageRenderer } from '../http/page-renderer.js';
import type { ClientDisplayer } from './client-display.js';
import { userCodeProblemOf, xsrfTokenFromForm, type UserCodeProblem } from './oidc-provider-internals.js';

/** The user code a person followed verification_uri_complete with, kept to prefill the entry form. */
export const PREFILLED_USER_CODE = Symbol('prefilled user code');

/** Set on a request whose user code matched no device: a wrong guess, for the entry throttle. */
export const UNKNOWN_USER_CODE = Symbol('unknown user code');

interface ErrorOut {
  error?: string;
  error_description?: string;
}

const USER_CODE_MESSAGES: Record<Exclude<UserCodeProblem, 'aborted'>, string> = {
  missing: 'Enter the code shown on your device.',
  unknown: 'That code is not valid. Check it and try again.',
  expired: 'That code has expired. Start again on your device.',
  used: 'That code has already been used. Start again on your device.',
};

/** The pages oidc-provider renders itself (device flow, logout, errors), drawn with stagepass's views. */
export function providerPages(render: PageRenderer, displayClient: ClientDisplayer) {
  const clientName = (ctx: KoaContextWithOIDC) =>
    ctx.oidc.client ? String(ctx.oidc.client.clientName ?? ctx.oidc.client.clientId) : '';

  return {
    userCodeInputSource(ctx: KoaContextWithOIDC, form: string, out?: ErrorOut, err?: Error) {
      const problem = userCodeProblemOf(err);
      if (problem?.problem === 'aborted' || out?.error === 'access_denied') {
        render(ctx, 'abort', 'Sign-in cancelled', { clientName: clientName(ctx) });
        return;
      }
      if (problem?.problem === 'unknown') (ctx.state as Record<symbol, boolean>)[UNKNOWN_USER_CODE] = true;
      const prefilled = (ctx.state as Record<symbol, string | undefined>)[PREFILLED_USER_CODE];
      const message = problem ? USER_CODE_MESSAGES[problem.problem] : undefined;
      render(ctx, 'device-code', 'Connect a device', {
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: xsrfTokenFromForm(form),
        userCode: problem?.typed ?? prefilled ?? '',
        error: err ? (message ?? out?.error_description ?? 'Something went wrong. Try again.') : '',
      });
    },

    async userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, _client: unknown, _deviceInfo: unknown, userCode: string) {
      render(ctx, 'device-confirm', 'Confirm the device', {
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: xsrfTokenFromForm(form),
        client: await displayClient(ctx.oidc.client, ctx.oidc.client?.clientId ?? ''),
        userCode,
      });
    },

    successSource(ctx: KoaContextWithOIDC) {
      render(ctx, 'success', 'Device connected', { clientName: clientName(ctx) });
    },

    logoutSource(ctx: KoaContextWithOIDC, form: string) {
      render(ctx, 'logout', 'Sign out', {
        host: ctx.host,
        action: ctx.oidc.urlFor('end_session_confirm'),
        xsrf: xsrfTokenFromForm(form),
      });
    },

    postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      render(ctx, 'logged-out', 'Signed out');
    },

    renderError(ctx: KoaContextWithOIDC, out: ErrorOut) {
      render(ctx, 'error', 'Something went wrong', {
        error: out.error ?? 'server_error',
        description: out.error_description ?? 'The request could not be completed.',
      });
    },
  };
}
