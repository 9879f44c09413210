import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

import type { AdminAnswer } from './admin.js';

/** One answer of the Admin API a test received, to check against the document afterwards. */
export interface LoggedAnswer {
  method: string;
  path: string;
  answer: AdminAnswer;
}

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: object } } }> }>>;
  components: { schemas: Record<string, object> };
};

/** Fetches /admin/v1/openapi.json and validates it as an OpenAPI 3.1 document. */
export async function validatedDocument(issuer: string): Promise<Document> {
  const document = await (await fetch(`${issuer}/admin/v1/openapi.json`)).json() as Document;
  const validator = new Validator();
  const result = await validator.validate(document as never);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
  return document;
}

/**
 * Checks every logged answer against the operation the document says answers that method and
 * path: its status must be one the operation declares, and its body must match that status's schema.
 */
export function expectAnswersMatch(document: Document, log: readonly LoggedAnswer[]): void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: 'doc', components: document.components });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  expect(log.length).toBeGreaterThan(0);
  for (const { method, path, answer } of log) {
    const bare = path.split('?')[0]!;
    const operation = templates.filter(({ pattern }) => pattern.test(bare))
      // `/keys/rotate` over `/keys/{kid}`: the template with fewer parameters is the more specific.
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))
      .map(({ template }) => document.paths[template]![method.toLowerCase()])
      .find((found) => found !== undefined);
    if (!templates.some(({ pattern }) => pattern.test(bare))) {
      // A path the API does not have.
      expect(answer.status, `${method} ${bare}`).toBe(404);
      continue;
    }
    if (answer.status === 405) {
      // A method the path does not take: the path is documented, the method is not.
      expect(operation, `${method} ${bare} is not in the document`).toBeUndefined();
      expect(templates.some(({ pattern }) => pattern.test(bare)), `${bare} is in the document`).toBe(true);
      continue;
    }
    expect(operation, `${method} ${bare} is in the document`).toBeDefined();
    const response = operation!.responses[String(answer.status)];
    expect(response, `${method} ${bare} declares status ${answer.status}`).toBeDefined();
    const schema = response!.content?.['application/json']?.schema;
    if (schema === undefined) {
      expect(answer.body, `${method} ${bare} ${answer.status} has no body`).toBeUndefined();
      continue;
    }
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/');
    // Compiling is the slow part: answers of one operation and status share their validator.
    const validate = compiled.get(text) ?? compiled.set(text, ajv.compile(JSON.parse(text))).get(text)!;
    const valid = validate(answer.body);
    expect(valid ? [] : validate.errors, `${method} ${bare} ${answer.status}: ${JSON.stringify(answer.body)}`).toEqual([]);
  }
}
