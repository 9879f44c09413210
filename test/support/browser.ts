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
 * Chromium for the tests of one file, driving one page per person. A context and a page of their
 * own per sign-in cost Chromium about as much as the sign-in itself; `freshPage()` gives the page
 * back as a new one would be: no cookies of any server, a blank document, and none of the request,
 * response, console or route handlers an earlier test put on it. `freshPage('second person')` is
 * another browser profile (its own cookies), made at its first use.
 */
export function chromiumPage(): { freshPage(person?: Person): Promise<Page> } {
  let browser: Browser | undefined;
  const pages = new Map<Person, Promise<{ context: BrowserContext; page: Page }>>();
  const open = (person: Person) => {
    let opened = pages.get(person);
    if (!opened) {
      if (!browser) throw new Error('chromiumPage() is used from a test of the file that called it');
      opened = browser.newContext().then(async (context) => ({ context, page: await context.newPage() }));
      pages.set(person, opened);
    }
    return opened;
  };
  beforeAll(async () => {
    browser = await launchChromium();
    await open('first person');
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async freshPage(person = 'first person') {
      const { context, page } = await open(person);
      await context.clearCookies();
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      for (const event of ['request', 'response', 'console'] as const) page.removeAllListeners(event);
      await page.goto('about:blank');
      return page;
    },
  };
}

/** Two contexts of one browser are two people: they share no cookies. */
export type Person = 'first person' | 'second person';
