import { describe, expect, it } from 'vitest';

import { examplesIn, jsonValuesIn, shapeDifferences } from '../support/doc-examples.js';

const fence = (language: string, body: string) => `\`\`\`${language}\n${body}\n\`\`\``;

describe('how a document marks its examples', () => {
  it('every sh block is an example, in order; other blocks are not', () => {
    const markdown = [fence('sh', 'echo one'), 'Prose.', fence('js', 'console.log(2)'), fence('sh', 'echo three')].join('\n\n');
    expect(examplesIn(markdown).map((example) => example.kind === 'shell' && example.code)).toEqual(['echo one', 'echo three']);
  });

  it('a block right after a shell block shows what it prints; after prose it is an example of something else', () => {
    const markdown = [fence('sh', 'curl a'), fence('json', '{"a": 1}'), fence('sh', 'curl b'), 'The file:', fence('json', '{"b": 2}')].join('\n\n');
    const [first, second] = examplesIn(markdown);
    expect(first).toMatchObject({ prints: { language: 'json', text: '{"a": 1}' } });
    expect(second).not.toHaveProperty('prints');
  });

  it('"not run" leaves out the next block only, and says why', () => {
    const markdown = ['<!-- not run: it needs Docker -->', fence('sh', 'docker build .'), fence('sh', 'echo runs')].join('\n\n');
    expect(examplesIn(markdown)).toEqual([
      { kind: 'shell', line: 3, code: 'docker build .', notRun: 'it needs Docker' },
      { kind: 'shell', line: 7, code: 'echo runs' },
    ]);
  });

  it('the browser steps name the variable holding the URL, the one the code goes into, and who signs in when not the sample account', () => {
    const markdown = [
      '<!-- browser: approve the device at $verification_uri_complete -->',
      '<!-- browser: sign in at $authorization_url, then code=<the callback\'s code> -->',
      '<!-- browser: sign in at $authorization_url as hana / hana hosts the late show, then hana_code=<the callback\'s code> -->',
    ].join('\n\n');
    expect(examplesIn(markdown)).toEqual([
      { kind: 'approve device', line: 1, urlVariable: 'verification_uri_complete' },
      { kind: 'sign in', line: 3, urlVariable: 'authorization_url', codeVariable: 'code' },
      { kind: 'sign in', line: 5, urlVariable: 'authorization_url', codeVariable: 'hana_code', person: { username: 'hana', password: 'hana hosts the late show' } },
    ]);
  });
});

describe('what an example printed', () => {
  it('the JSON in it is found between other output, a status line with brackets included', () => {
    expect(jsonValuesIn('{"a":1}{"b":[2]}\n[curl answered 200 to GET http://x/]\nscrypt$1\n["c"]')).toEqual([{ a: 1 }, { b: [2] }, ['c']]);
  });

  it('matches a shown answer by its keys and the kinds of their values, elided values standing for any', () => {
    const shown = { access_token: 'BAne…', expires_in: 600, items: [{ kid: 'tq3w…' }] };
    expect(shapeDifferences(shown, { access_token: 'x', expires_in: 3600, token_type: 'Bearer', items: [{ kid: 'k', alg: 'ES256' }] })).toEqual([]);
    expect(shapeDifferences(shown, { error: 'invalid_client' })).toEqual(['$.access_token is missing', '$.expires_in is missing', '$.items is missing']);
    expect(shapeDifferences(shown, { access_token: null, expires_in: '600', items: [] })).toEqual([
      '$.access_token is null, not a string', '$.expires_in is a string, not a number', '$.items is empty',
    ]);
  });
});
