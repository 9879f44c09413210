import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Router from '@koa/router';
import ejs from 'ejs';

import type { PageName, PageRenderer } from './page-renderer.js';

const PAGES: readonly PageName[] = [
  'login', 'consent', 'device-code', 'device-confirm', 'success', 'abort', 'error', 'logout', 'logged-out',
  'second-factor', 'account', 'account-totp', 'account-recovery-codes',
];

/**
 * Compiles every view once at start. Pages share one layout and one stylesheet served from
 * /assets, so no page needs inline styles or scripts (the CSP allows neither).
 */
export function createPageRenderer(viewsDir: string): PageRenderer {
  const compile = (name: string) =>
    ejs.compile(readFileSync(join(viewsDir, `${name}.ejs`), 'utf8'), { filename: join(viewsDir, `${name}.ejs`) });
  const layout = compile('layout');
  const pages = new Map<string, ejs.TemplateFunction>();
  for (const page of PAGES) {
    pages.set(page, compile(page));
  }

  return (ctx, page, title, locals = {}) => {
    const body = pages.get(page)!(locals);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = layout({ title, body, scripts: locals.scripts ?? [] });
  };
}

/**
 * The stylesheet every page links and the scripts some load (the views' own, and `scripts` from
 * elsewhere, by the name they are served as), read once at start.
 */
export function assetRoutes(viewsDir: string, scripts: Readonly<Record<string, string>> = {}): Router {
  const router = new Router();
  const serve = (name: string, type: string, path: string) => {
    const content = readFileSync(path, 'utf8');
    router.get(`/assets/${name}`, (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = content;
    });
  };
  serve('stagepass.css', 'text/css', join(viewsDir, 'assets', 'stagepass.css'));
  serve('passkeys.js', 'text/javascript', join(viewsDir, 'assets', 'passkeys.js'));
  for (const [name, path] of Object.entries(scripts)) serve(name, 'text/javascript', path);
  return router;
}
