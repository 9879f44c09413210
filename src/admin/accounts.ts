import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { type Account, type AccountDirectory, upstreamUsername } from '../accounts/account-directory.js';
import { hashPassword } from '../accounts/password.js';
import type { RuntimeAccount, RuntimeAccounts, RuntimeAccountWrite } from '../accounts/runtime-accounts.js';
import type { UpstreamAccount, UpstreamAccounts } from '../accounts/upstream-accounts.js';
import { groupName, subjectSchema } from '../config/schema.js';
import type { Versioned } from '../store/versioned-collection.js';
import { conflict, fromConfiguration, invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { pageQuery, pageRequest, pageSchema } from './paging.js';


const usernameSchema = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters')
  .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
  .regex(/^(?!\s).*(?<!\s)$/s, 'must not begin or end with a space');
const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters').meta({ description: 'Plain text; stored in the salted scrypt form and never answered' });
const claimsSchema = z.record(z.string(), z.unknown()).meta({ description: 'Released by scope, as a configured account\'s claims' });
const groupsSchema = z.array(groupName.refine((name) => name !== '*', 'is every person\'s group already; name it in groups, not here'))
  .max(256, 'must list at most 256 groups').meta({ description: 'The groups whose rights the person has, beside those of "*"' });

const createSchema = z.strictObject({
  sub: subjectSchema.optional().meta({ description: 'The subject, 1 to 255 characters without control characters; a random UUID when not given' }),
  username: usernameSchema,
  password: passwordSchema,
  claims: claimsSchema.default({}),
  groups: groupsSchema.default([]),
  disabled: z.boolean().default(false),
});

/**
 * A replacement: what is not given is emptied, except the password, which is kept. An upstream
 * person's username, claims and groups come from their provider, so for them only `disabled`.
 */
const replaceSchema = z.strictObject({
  sub: subjectSchema.optional().meta({ description: 'When given, the path\'s' }),
  username: usernameSchema.optional().meta({ description: 'Required for an account made here' }),
  password: passwordSchema.optional().meta({ description: 'Plain text; kept as it is when not given' }),
  claims: claimsSchema.optional(),
  groups: groupsSchema.optional(),
  disabled: z.boolean().optional(),
});

const accountSchema = z.object({
  sub: z.string(),
  source: z.string().meta({ description: 'config: from the configuration file, read-only here; api: made here; upstream:<id>: signed in through that provider' }),
  username: z.string(),
  claims: z.record(z.string(), z.unknown()),
  groups: z.array(z.string()),
  disabled: z.boolean(),
});

type AccountView = z.infer<typeof accountSchema>;

/** An account as answered, with its ETag and its place in the listing. */
interface Listed {
  view: AccountView;
  etag: string;
  /** Listings go through the configured accounts, those made here, then upstream people, each by subject. */
  cursor: string;
}

const SOURCES = ['config', 'api', 'upstream'] as const;
type SourceKind = (typeof SOURCES)[number];

const SUB = { sub: 'The account\'s subject (URL-encoded)' };

export interface AccountOperationDependencies {
  directory: AccountDirectory;
  runtime: RuntimeAccounts;
  upstream: UpstreamAccounts;
  /** Prefixes of subjects that are other people's (`<upstream or trusted issuer id>:`), by whom. */
  reservedPrefixes: ReadonlyMap<string, string>;
  /** Ends every grant of the person at once: their access and refresh tokens stop working. */
  revokeGrantsOf(sub: string): Promise<void>;
}

export function accountOperations({ directory, runtime, upstream, reservedPrefixes, revokeGrantsOf }: AccountOperationDependencies): AdminOperation[] {
  const listed = {
    config: (account: Account): Listed => {
      const view = { ...account, groups: [...account.groups], source: 'config', disabled: false };
      return { view, etag: etagOf(JSON.stringify(view)), cursor: `config:${account.sub}` };
    },
    api: ({ item, version }: Versioned<RuntimeAccount>): Listed => ({
      view: { sub: item.sub, source: 'api', username: item.username, claims: item.claims, groups: item.groups, disabled: item.disabled },
      etag: etagOf(version),
      cursor: `api:${item.sub}`,
    }),
    upstream: ({ item, version }: Versioned<UpstreamAccount>): Listed => ({
      view: {
        sub: item.sub, source: `upstream:${item.provider}`, username: upstreamUsername(item.sub, item.claims), claims: item.claims, groups: item.groups, disabled: item.disabled ?? false,
      },
      etag: etagOf(version),
      cursor: `upstream:${item.sub}`,
    }),
  };

  const pageOf = async (source: SourceKind, limit: number, after: string | undefined): Promise<{ items: Listed[]; more: boolean }> => {
    if (source === 'api') {
      const page = await runtime.page(limit, after);
      return { items: page.items.map(listed.api), more: page.more };
    }
    if (source === 'upstream') {
      const page = await upstream.page(limit, after);
      return { items: page.items.map(listed.upstream), more: page.more };
    }
    const all = directory.configuredAccounts().filter(({ sub }) => after === undefined || sub > after);
    return { items: all.slice(0, limit).map(listed.config), more: all.length > limit };
  };

  /** The account a path names, wherever it comes from. */
  const existing = async (sub: string) => {
    const configured = directory.configured(sub);
    if (configured) return { source: 'config' as const, account: configured };
    if (upstream.isUpstreamSubject(sub)) {
      const person = await upstream.find(sub);
      if (person) return { source: 'upstream' as const, person };
    } else {
      const account = await runtime.find(sub);
      if (account) return { source: 'api' as const, account };
    }
    throw notFound(`account ${sub}`);
  };

  const assertSubFree = (sub: string) => {
    const prefix = [...reservedPrefixes.keys()].find((reserved) => sub.startsWith(reserved));
    if (prefix) throw invalidRequest(`sub must not start with "${prefix}", the subjects of ${reservedPrefixes.get(prefix)}`);
    if (directory.configured(sub)) throw conflict(`account ${sub} is defined in the configuration file`);
  };
  const assertUsernameFree = (username: string) => {
    if (directory.configuredUsername(username) !== undefined) throw conflict(`username ${username} belongs to an account of the configuration file`);
  };
  const written = (write: RuntimeAccountWrite, sub: string, username: string): Versioned<RuntimeAccount> => {
    if (write.ok) return write.account;
    if (write.refusal === 'username_taken') throw conflict(`username ${username} is taken by another account`);
    if (write.refusal === 'sub_taken') throw conflict(`account ${sub} exists already`);
    throw preconditionFailed(`account ${sub}`);
  };

  return [
    adminOperation({
      method: 'GET', path: '/accounts', resource: 'accounts', operationId: 'listAccounts', access: 'read',
      summary: 'List the accounts: the configuration file\'s, then those made here, then the people who signed in through an upstream provider, each by subject',
      query: pageQuery,
      responses: { 200: { description: 'A page of accounts', schema: pageSchema(accountSchema) } },
      async handle({ query }) {
        const { limit, after } = pageRequest(query);
        const { source: from, sub: afterSub } = parseCursor(after);
        const items: Listed[] = [];
        let more = false;
        for (const source of SOURCES.slice(SOURCES.indexOf(from))) {
          const sourceAfter = source === from ? afterSub : undefined;
          // A full page still says whether anything follows, so the last page's cursor is null.
          const page = await pageOf(source, Math.max(1, limit - items.length), sourceAfter);
          if (items.length === limit) {
            more = page.items.length > 0;
          } else {
            items.push(...page.items);
            more = page.more;
          }
          if (more) break;
        }
        const last = items.at(-1);
        return { body: { items: items.map(({ view }) => view), next_cursor: more && last ? Buffer.from(last.cursor, 'utf8').toString('base64url') : null } };
      },
    }),
    adminOperation({
      method: 'POST', path: '/accounts', resource: 'accounts', operationId: 'createAccount', access: 'write',
      summary: 'Create an account that signs in on the pages like a configured one, on every instance at once',
      body: createSchema, errors: [409, 415],
      responses: { 201: { description: 'The account, created', schema: accountSchema, etag: true } },
      async handle({ body }) {
        const sub = body.sub ?? randomUUID();
        assertSubFree(sub);
        assertUsernameFree(body.username);
        const account: RuntimeAccount = {
          sub, username: body.username, password: await hashPassword(body.password), claims: body.claims, groups: body.groups, disabled: body.disabled,
        };
        const created = listed.api(written(await runtime.create(account), sub, body.username));
        return {
          status: 201, body: created.view, etag: created.etag,
          headers: { Location: `/admin/v1/accounts/${encodeURIComponent(sub)}` },
          change: { id: sub, action: 'create' },
        };
      },
    }),
    adminOperation({
      method: 'GET', path: '/accounts/{sub}', resource: 'accounts', operationId: 'getAccount', access: 'read',
      summary: 'Read an account', pathParameters: SUB, errors: [404],
      responses: { 200: { description: 'The account', schema: accountSchema, etag: true } },
      async handle({ params }) {
        const found = await existing(params.sub!);
        const answer = found.source === 'config' ? listed.config(found.account)
          : found.source === 'api' ? listed.api(found.account) : listed.upstream(found.person);
        return { body: answer.view, etag: answer.etag };
      },
    }),
    adminOperation({
      method: 'PUT', path: '/accounts/{sub}', resource: 'accounts', operationId: 'putAccount', access: 'write',
      summary: 'Replace an account made here (the password is kept when not given), or disable or enable an upstream person; disabling revokes every grant of the account at once',
      pathParameters: SUB, body: replaceSchema, errors: [404, 409, 412, 415],
      responses: { 200: { description: 'The account, replaced', schema: accountSchema, etag: true } },
      async handle({ params, body, ifMatch }) {
        const sub = params.sub!;
        if (body.sub !== undefined && body.sub !== sub) throw invalidRequest(`sub must be the path's, ${sub}`);
        const found = await existing(sub);
        if (found.source === 'config') throw fromConfiguration(`account ${sub}`);
        let answer: Listed;
        if (found.source === 'upstream') {
          const fromProvider = (['username', 'password', 'claims', 'groups'] as const).find((field) => body[field] !== undefined);
          if (fromProvider) throw conflict(`${fromProvider} of ${sub} comes from upstream provider ${found.person.item.provider}; only disabled is set here`);
          assertIfMatch(ifMatch, etagOf(found.person.version), `account ${sub}`);
          const changed = await upstream.setDisabled(found.person, body.disabled ?? false);
          if (!changed) throw preconditionFailed(`account ${sub}`);
          answer = listed.upstream(changed);
        } else {
          if (body.username === undefined) throw invalidRequest('username is required');
          assertIfMatch(ifMatch, etagOf(found.account.version), `account ${sub}`);
          if (body.username !== found.account.item.username) assertUsernameFree(body.username);
          const next: RuntimeAccount = {
            sub,
            username: body.username,
            password: body.password === undefined ? found.account.item.password : await hashPassword(body.password),
            claims: body.claims ?? {},
            groups: body.groups ?? [],
            disabled: body.disabled ?? false,
          };
          answer = listed.api(written(await runtime.replace(found.account, next), sub, body.username));
        }
        if (answer.view.disabled) await revokeGrantsOf(sub);
        return { body: answer.view, etag: answer.etag, change: { id: sub, action: 'update' } };
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/accounts/{sub}', resource: 'accounts', operationId: 'deleteAccount', access: 'write',
      summary: 'Delete an account made here, or forget an upstream person (who may sign in again unless disabled); every grant of it is revoked at once',
      pathParameters: SUB, errors: [404, 409, 412],
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, ifMatch }) {
        const sub = params.sub!;
        const found = await existing(sub);
        if (found.source === 'config') throw fromConfiguration(`account ${sub}`);
        const current = found.source === 'api' ? found.account : found.person;
        assertIfMatch(ifMatch, etagOf(current.version), `account ${sub}`);
        const removed = found.source === 'api' ? await runtime.remove(found.account) : await upstream.remove(found.person);
        if (!removed) throw preconditionFailed(`account ${sub}`);
        await revokeGrantsOf(sub);
        return { status: 204, change: { id: sub, action: 'delete' } };
      },
    }),
  ];
}

/** Where a listing goes on: the source and the last subject of the page before. */
function parseCursor(after: string | undefined): { source: SourceKind; sub: string | undefined } {
  if (after === undefined) return { source: 'config', sub: undefined };
  const separator = after.indexOf(':');
  const source = after.slice(0, separator) as SourceKind;
  if (separator < 0 || !SOURCES.includes(source)) throw invalidRequest('cursor is not one this API gave');
  return { source, sub: after.slice(separator + 1) };
}
