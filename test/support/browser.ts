import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';

/**
 * Every host name but localhost fails to resolve at once: a page that asks for something beyond
 * loopback (the upstream's development pages import a web font) gets an error instead of a wait
 * for a network this machine may not have.
 */
const LOOPBACK_ONLY = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1';
/**
 * One renderer for the sites of a page rather than one per site: the tests visit only their own
 * servers, and a process per site cost the two cores more than the sign-ins themselves.
 */
const ONE_RENDERER = ['--disable-features=site-per-process', '--disable-site-isolation-trials'];

/** Debian's Chromium, headless, with nothing reaching beyond loopback. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...ONE_RENDERER, LOOPBACK_ONLY],
  });
}

/**
 * Chromium for the tests of one file, driving one page. A context and a page of their own per
 * sign-in cost Chromium about as much as the sign-in itself; `freshPage()` gives the page back
 * as a new one would be: no cookies of any server, a blank document, and none of the request,
 * response or console listeners an earlier test put on it.
 */
export function chromiumPage(): { freshPage(): Promise<Page> } {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async freshPage() {
      if (!context || !page) throw new Error('chromiumPage() is used from a test of the file that called it');
      await context.clearCookies();
      for (const event of ['request', 'response', 'console'] as const) page.removeAllListeners(event);
      await page.goto('about:blank');
      return page;
    },
  };
}
