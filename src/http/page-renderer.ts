import type { Context } from 'koa';

export type PageName =
  | 'login' | 'consent' | 'device-code' | 'device-confirm' | 'success' | 'abort' | 'error' | 'logout' | 'logged-out'
  | 'second-factor' | 'account' | 'account-totp' | 'account-recovery-codes';

/** Draws one of stagepass's pages as the response; `pages.ts` beside it compiles the views behind it. */
export type PageRenderer = (ctx: Context, page: PageName, title: string, locals?: Record<string, unknown>) => void;
