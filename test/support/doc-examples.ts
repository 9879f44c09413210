/**
 * The examples of a Markdown document, in order, as test/docs/examples.test.ts runs them:
 *
 * - every ```sh block runs, in one shell per document, so that values carry forward in variables;
 * - `<!-- not run: why -->` just before one leaves it out (it needs Docker, or starts a server);
 * - a ```json or ```text block right after one (nothing but blank lines between) is what it
 *   prints: the JSON's keys, or the text's lines;
 * - `<!-- browser: approve the device at $var -->` and
 *   `<!-- browser: sign in at $var [as user / password], then code=<the callback's code> -->` stand
 *   for what the prose asks a person to do in a browser (as the sample account unless named).
 */
export type Example =
  | { kind: 'shell'; line: number; code: string; notRun?: string; prints?: Printed }
  | { kind: 'approve device'; line: number; urlVariable: string }
  | { kind: 'sign in'; line: number; urlVariable: string; codeVariable: string; person?: { username: string; password: string } };

export interface Printed {
  language: 'json' | 'text';
  text: string;
}

const NOT_RUN = /^<!-- not run: (.+) -->$/;
const APPROVE_DEVICE = /^<!-- browser: approve the device at \$(\w+) -->$/;
const SIGN_IN = /^<!-- browser: sign in at \$(\w+)(?: as (\S+) \/ (.+?))?, then (\w+)=<the callback's code> -->$/;
const FENCE = /^```(\w*)\s*$/;

export function examplesIn(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let notRun: string | undefined;
  // The shell example a block right after it would show the output of.
  let lastShell: Extract<Example, { kind: 'shell' }> | undefined;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const start = index;
      const body: string[] = [];
      for (index += 1; index < lines.length && lines[index] !== '```'; index += 1) body.push(lines[index]!);
      const language = fence[1];
      if (language === 'sh') {
        lastShell = { kind: 'shell', line: start + 1, code: body.join('\n'), ...(notRun ? { notRun } : {}) };
        examples.push(lastShell);
      } else if (lastShell && (language === 'json' || language === 'text')) {
        lastShell.prints = { language, text: body.join('\n') };
        lastShell = undefined;
      } else {
        lastShell = undefined;
      }
      notRun = undefined;
      continue;
    }
    if (line.trim() === '') continue;
    lastShell = undefined;
    notRun = NOT_RUN.exec(line)?.[1] ?? notRun;
    const device = APPROVE_DEVICE.exec(line);
    if (device) examples.push({ kind: 'approve device', line: index + 1, urlVariable: device[1]! });
    const signIn = SIGN_IN.exec(line);
    if (signIn) {
      const [, urlVariable, username, password, codeVariable] = signIn;
      examples.push({ kind: 'sign in', line: index + 1, urlVariable: urlVariable!, codeVariable: codeVariable!, ...(username ? { person: { username, password: password! } } : {}) });
    }
  }
  return examples;
}

/** Every JSON object or array printed in `output`, in order, skipping the text between them. */
export function jsonValuesIn(output: string): unknown[] {
  const values: unknown[] = [];
  for (let from = 0; ;) {
    const start = output.slice(from).search(/[[{]/);
    if (start < 0) return values;
    const end = endOfValue(output, from + start);
    const parsed = end === undefined ? undefined : tryParse(output.slice(from + start, end));
    if (parsed === undefined) {
      from += start + 1;
    } else {
      values.push(parsed);
      from = end!;
    }
  }
}

/** Where the object or array opening at `start` closes, counting brackets outside strings. */
function endOfValue(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return undefined;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Where `actual` lacks what `shown` has: a key, or a value of another kind. The documents elide
 * values (`"eyJhbGciOiJFUzM4NCIs…"`) and show one item of a list; only the shape is compared.
 */
export function shapeDifferences(shown: unknown, actual: unknown, path = '$'): string[] {
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return [`${path} is not a list`];
    return shown.length === 0 ? [] : actual.length === 0 ? [`${path} is empty`] : shapeDifferences(shown[0], actual[0], `${path}[0]`);
  }
  if (shown !== null && typeof shown === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path} is not an object`];
    return Object.entries(shown).flatMap(([key, value]) => (key in actual
      ? shapeDifferences(value, (actual as Record<string, unknown>)[key], `${path}.${key}`)
      : [`${path}.${key} is missing`]));
  }
  return typeof shown === typeof actual || shown === null ? [] : [`${path} is ${kindOf(actual)}, not ${kindOf(shown)}`];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The error bodies of the protocols stagepass speaks: RFC 6749's and the AWS services'. */
export function errorsIn(values: unknown[]): Record<string, unknown>[] {
  return values.flatMap((value) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : []))
    .filter((value) => typeof value.error === 'string' || '__type' in value || 'exceptionMessage' in value);
}
