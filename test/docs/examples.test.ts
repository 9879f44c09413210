import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

import { SAMPLE_CREDENTIALS } from '../../src/config/sample-credentials.js';
import { launchChromium } from '../support/browser.js';
import { BUILT_MAIN, builtServer } from '../support/built-server.js';
import { errorsIn, examplesIn, jsonValuesIn, shapeDifferences, type Example } from '../support/doc-examples.js';
import { freePort } from '../support/free-port.js';
import { startProcess } from '../support/processes.js';
import { startShell, type Shell } from '../support/shell.js';
import { keysIn } from '../support/stagepass.js';

/** Where the documents say the quick-start server is (and, in its banner, listens). */
const QUICK_START_PORT = /\b(localhost|0\.0\.0\.0):3000\b/g;
const DOCUMENTS = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
  .filter((path) => examplesIn(readFileSync(path, 'utf8')).some((example) => example.kind !== 'shell' || !example.notRun));

/**
 * What the shell knows before the first example. curl, as the examples call it, also says on
 * stderr how each request was answered: an example whose output is piped through jq shows no
 * error body, but its status shows. npm refuses to install: the checkout's node_modules may be
 * shared, and an example that installs (one left without its `not run`) must fail, not replace it.
 */
const PRELUDE = [
  `curl() { command curl --write-out '%{stderr}[curl answered %{http_code} to %{method} %{url_effective}]\\n' "$@"; }`,
  `npm() { case "$1" in ci|install|i|add|uninstall|update) echo "the examples test does not let npm $1 run" >&2; return 1;; esac; command npm "$@"; }`,
].join('\n');
const CURL_STATUS = /\[curl answered (\d{3}) to [^\]]*\]\n?/g;

interface QuickStart {
  port: number;
  /** What `npm start` printed. */
  printed(): string;
}

/**
 * The quick-start server on the default configuration and the memory store, with its keys in a
 * folder of its own rather than the checkout's .data, on a spare port the issuer follows. For the
 * README, as `npm start` runs it (its banner is the one the README shows); for the other pages the
 * same server built, which starts at a fraction of the CPU.
 */
async function startQuickStart(document: string): Promise<QuickStart> {
  const dir = await mkdtemp(join(tmpdir(), 'stagepass-quick-start-'));
  const defaults = JSON.parse(await readFile('config/default.json', 'utf8')) as Record<string, unknown> & { ivs: object };
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ ...defaults, keys: keysIn(dir), ivs: { ...defaults.ivs, privateKeyFile: join(dir, 'ivs-participant-key.pem') } }));
  const port = await freePort();
  const [command, ...args] = document === 'README.md' ? ['npm', 'start', '--silent'] : [process.execPath, BUILT_MAIN];
  if (command !== 'npm') await builtServer();
  const server = startProcess(command!, args, { env: { STAGEPASS_CONFIG: config, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], group: true });
  let stdout = '';
  let stderr = '';
  server.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('stagepass is listening')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`${[command, ...args].join(' ')} exited with ${code}:\n${stderr}`)));
  });
  return { port, printed: () => stdout };
}

let browser: Browser | undefined;
afterAll(() => browser?.close());

async function browserPage(): Promise<Page> {
  browser ??= await launchChromium();
  const context = await browser.newContext();
  return context.newPage();
}

interface Person {
  username: string;
  password: string;
}
const SAMPLE_ACCOUNT: Person = SAMPLE_CREDENTIALS.account;

async function signIn(page: Page, { username, password }: Person): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** What a person does with the link a device shows: confirm the code and the device, sign in, allow. */
async function approveDevice(url: string): Promise<void> {
  const page = await browserPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await signIn(page, SAMPLE_ACCOUNT);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByRole('heading').textContent()).resolves.toBe('Device connected');
  await page.context().close();
}

/** Signs in and allows at an authorization URL; returns the code the browser takes to the redirect URI. */
async function authorize(url: string, person: Person): Promise<string> {
  const page = await browserPage();
  const redirectUri = new URL(url).searchParams.get('redirect_uri')!;
  // Nothing listens at the sample client's redirect URI: the browser only has to set off for it.
  const callback = page.waitForRequest((request) => request.url().startsWith(redirectUri));
  await page.goto(url);
  await signIn(page, person);
  await page.getByRole('button', { name: 'Allow' }).click();
  const code = new URL((await callback).url()).searchParams.get('code');
  await page.context().close();
  if (!code) throw new Error(`the browser went to the redirect URI without a code: ${(await callback).url()}`);
  return code;
}

/** A line as the documents show it, `…` standing for whatever was printed there. */
function elided(line: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${line.split('…').map(escape).join('.*')}$`, 'm');
}

async function variable(shell: Shell, name: string): Promise<string> {
  const { output, ok } = await shell.run(`printf '%s' "$${name}"`);
  if (!ok) throw new Error(`$${name} is not set: ${output}`);
  return output;
}

/** Runs one example; fails naming its line, with what it printed. */
async function run(example: Example, shell: Shell, server: QuickStart, document: string): Promise<void> {
  const where = `${document}:${example.line}`;
  const onServer = (text: string) => text.replaceAll(QUICK_START_PORT, `$1:${server.port}`);
  if (example.kind === 'approve device') return approveDevice(await variable(shell, example.urlVariable));
  if (example.kind === 'sign in') {
    const code = await authorize(await variable(shell, example.urlVariable), example.person ?? SAMPLE_ACCOUNT);
    await shell.run(`${example.codeVariable}='${code}'`);
    return;
  }
  if (example.notRun && !/\bnpm start\b/.test(example.code)) return;
  // The test started the quick-start server itself: what `npm start` prints is what it printed.
  const { output, ok } = example.notRun ? { output: server.printed(), ok: true } : await shell.run(onServer(example.code));
  expect(ok, `${where} failed:\n${example.code}\n---\n${output}`).toBe(true);
  const values = jsonValuesIn(output.replaceAll(CURL_STATUS, ''));
  const shown = example.prints;
  if (shown?.language === 'text') {
    for (const line of shown.text.split('\n').filter((text) => text.trim() && text.trim() !== '…')) {
      expect(output, `${where} should print this line`).toMatch(elided(onServer(line)));
    }
  }
  const shownJson = shown?.language === 'json' ? JSON.parse(shown.text) as unknown : undefined;
  if (shownJson !== undefined) {
    expect(shapeDifferences(shownJson, values.at(-1)), `${where} printed another shape:\n${output}`).toEqual([]);
  }
  // An error answer passes only where the document shows one.
  if (errorsIn(shownJson === undefined ? [] : [shownJson]).length === 0) {
    const refused = [...output.matchAll(CURL_STATUS)].filter(([, status]) => Number(status) >= 400);
    expect(refused.map(([answer]) => answer), `${where} was answered with an error:\n${output}`).toEqual([]);
  }
}

describe('the examples of the documentation run as written against the quick-start server, in order', () => {
  it.each(DOCUMENTS)('%s', { timeout: 180_000 }, async (document) => {
    const [server, shell] = await Promise.all([startQuickStart(document), startShell()]);
    await shell.run(PRELUDE);
    for (const example of examplesIn(await readFile(document, 'utf8'))) {
      await run(example, shell, server, document);
    }
  });
});
