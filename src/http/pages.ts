import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Router from '@koa/router';
import ejs from 'ejs';

import type { PageRenderer } from './page-renderer.js';

/**
 * Compiles every view once at start. Pages share one layout and one stylesheet served from
 * /assets, so no page needs inline styles or scripts (the CSP allows neither).
 */
export function createPageRenderer(viewsDir: string): PageRenderer {
  const compile = (name: string) =>
    ejs.compile(readFileSync(join(viewsDir, `${name}.ejs`), 'utf8'), { filename: join(viewsDir, `${name}.ejs`) });
  const layout = compile('layout');
  const pages = new Map<string, ejs.TemplateFunction>();
  for (const page of ['login', 'consent', 'device-code', 'device-confirm', 'success', 'abort', 'error', 'logout', 'logged-out']) {
    pages.set(page, compile(page));
  }

  return (ctx, page, title, locals = {}) => {
    const body = pages.get(page)!(locals);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = layout({ title, body });
  };
}

/** The stylesheet every page links, read once at start. */
export function assetRoutes(viewsDir: string): Router {
  const stylesheet = readFileSync(join(viewsDir, 'assets', 'stagepass.css'), 'utf8');
  const router = new Router();
  router.get('/assets/stagepass.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = stylesheet;
  });
  return router;
}
