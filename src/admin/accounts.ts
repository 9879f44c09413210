import { randomUUID } from 'node:crypto';

import type { Account, AccountDirectory } from '../accounts/account-directory.js';
import type { CredentialStamps } from '../accounts/credential-stamps.js';
import { hashPassword } from '../accounts/password.js';
import type { RuntimeAccount, RuntimeAccounts } from '../accounts/runtime-accounts.js';
import type { UpstreamAccount, UpstreamAccounts } from '../accounts/upstream-accounts.js';
import { type Layered, LayeredCollection } from '../store/layered-collection.js';
import { versionOf } from '../store/versioned-collection.js';
import { accountChanges } from './account-changes.js';
import { accountSchema, answerOf, createSchema, listed, type Listed, replaceSchema } from './account-views.js';
import { conflict, fromConfiguration, invalidRequest, notFound, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import { adminOperation, type AdminOperation } from './operation.js';
import { pageQuery, pageSchema } from './paging.js';
import { ABSENT } from './pending-changes.js';
import { assertSentBackUnchanged, VersionedItems } from './versioned-resource.js';

/** An account as one of its layers keeps it. */
type ListedAccount = Account | RuntimeAccount | UpstreamAccount;

const SUB = { sub: 'The account\'s subject (URL-encoded)' };

export interface AccountOperationDependencies {
  directory: AccountDirectory;
  runtime: RuntimeAccounts;
  upstream: UpstreamAccounts;
  /** Prefixes of subjects that are other people's (`<upstream or trusted issuer id>:`), by whom. */
  reservedPrefixes: ReadonlyMap<string, string>;
  /** Ends everything of the person at once: every grant (their access and refresh tokens) and their license tokens. */
  endPerson(sub: string): Promise<void>;
  /** Forgets the sign-in factors of an account deleted, so that one made again under its subject starts with none. */
  forgetFactors(sub: string): Promise<void>;
  /** Where an account's credentials are noted as changed, which ends the browser sessions signed in before. */
  credentialStamps: CredentialStamps;
}

export function accountOperations({ directory, runtime, upstream, reservedPrefixes, endPerson, forgetFactors, credentialStamps }: AccountOperationDependencies): AdminOperation[] {
  const { storedRecord, settle, earlierCreation, assertUsernameFree, written, setUpstreamDisabled, replaceAccount } = accountChanges({
    directory, runtime, upstream, endPerson, credentialStamps,
  });

  /** Every account, layer by layer: the configuration file's, those made here, then upstream people, each by subject. */
  const everyone = new VersionedItems<ListedAccount>(
    new LayeredCollection<ListedAccount>(directory.configuredAccounts().map((account) => [account.sub, account]), [
      { source: 'api', items: runtime.stored },
      { source: 'upstream', items: upstream.stored },
    ]),
    (sub) => `account ${sub}`,
  );
  const listedOf = ({ name, item, version, source }: Layered<ListedAccount>): Listed => (source === 'config'
    ? listed.config(item as Account)
    : source === 'api' ? listed.api({ name, item: item as RuntimeAccount, version }) : listed.upstream({ name, item: item as UpstreamAccount, version }));

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

  return [
    adminOperation({
      method: 'GET', path: '/accounts', resource: 'accounts', operationId: 'listAccounts', access: 'read',
      summary: 'List the accounts: the configuration file\'s, then those made here, then the people who signed in through an upstream provider, each by subject',
      query: pageQuery,
      responses: { 200: { description: 'A page of accounts', schema: pageSchema(accountSchema) } },
      async handle({ query }) {
        const page = await everyone.page(query);
        return { body: { items: page.items.map((entry) => listedOf(entry).view), next_cursor: page.nextCursor } };
      },
    }),
    adminOperation({
      method: 'POST', path: '/accounts', resource: 'accounts', operationId: 'createAccount', access: 'write',
      summary: 'Create an account that signs in on the pages like a configured one, on every instance at once',
      body: createSchema, errors: [409, 415],
      responses: { 201: { description: 'The account, created', schema: accountSchema, etag: true } },
      async handle({ body, journal }) {
        if (body.sub !== undefined) assertSubFree(body.sub);
        assertUsernameFree(body.username);
        const location = (sub: string) => ({ Location: `/admin/v1/accounts/${encodeURIComponent(sub)}` });
        // This call sent again after its answer was lost: answered as it would have been.
        const earlier = await earlierCreation(body, journal);
        if (earlier.made) return { ...answerOf(listed.api(earlier.made)), status: 201, headers: location(earlier.made.name) };
        const sub = earlier.sub ?? randomUUID();
        const account: RuntimeAccount = {
          sub, username: body.username, password: await hashPassword(body.password), claims: body.claims, groups: body.groups, disabled: body.disabled,
        };
        await journal.begin(sub, { action: 'create', to: etagOf(versionOf(account)) });
        // A session of an account deleted under this subject, or of this one's earlier attempt, does not sign this one in.
        await credentialStamps.renew(sub);
        const created = listed.api(written(await runtime.create(account), sub, body.username));
        return { status: 201, body: created.view, etag: created.etag, headers: location(sub), change: { id: sub, action: 'create' } };
      },
    }),
    adminOperation({
      method: 'GET', path: '/accounts/{sub}', resource: 'accounts', operationId: 'getAccount', access: 'read',
      summary: 'Read an account', pathParameters: SUB, errors: [404],
      responses: { 200: { description: 'The account', schema: accountSchema, etag: true } },
      async handle({ params, journal }) {
        await settle(params.sub!, journal);
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
      async handle(request) {
        const { params: { sub }, body, journal } = request;
        const finished = await settle(sub!, journal);
        const found = await existing(sub!);
        if (found.source === 'config') throw fromConfiguration(`account ${sub}`);
        const source = found.source === 'api' ? 'api' : listed.upstream(found.person).view.source as string;
        assertSentBackUnchanged({ field: 'sub', given: body.sub, id: sub! }, { given: body.source, source });
        const sentAgain = journal.isOwn(finished) && finished.action === 'update';
        return found.source === 'upstream' ? setUpstreamDisabled(found.person, request, sentAgain) : replaceAccount(found.account, request, sentAgain);
      },
    }),
    adminOperation({
      method: 'DELETE', path: '/accounts/{sub}', resource: 'accounts', operationId: 'deleteAccount', access: 'write',
      summary: 'Delete an account made here, or forget an upstream person (who may sign in again unless disabled); every grant of it is revoked at once',
      pathParameters: SUB, errors: [404, 409, 412],
      responses: { 204: { description: 'Deleted' } },
      async handle({ params, ifMatch, journal }) {
        const sub = params.sub!;
        const finished = await settle(sub, journal);
        if (journal.isOwn(finished) && finished.action === 'delete') return { status: 204 };
        const found = await existing(sub);
        if (found.source === 'config') throw fromConfiguration(`account ${sub}`);
        const current = found.source === 'api' ? found.account : found.person;
        assertIfMatch(ifMatch, etagOf(current.version), `account ${sub}`);
        // Before, so that the tokens end even when the deletion's answer is lost; after, for a grant made in between.
        await endPerson(sub);
        const username = found.source === 'api' ? found.account.item.username : undefined;
        await journal.begin(sub, { action: 'delete', to: ABSENT, ...(username === undefined ? {} : { details: { username } }) });
        const removed = found.source === 'api' ? await runtime.remove(found.account) : await upstream.remove(found.person);
        // Gone meanwhile counts as deleted: an earlier attempt's removal may have landed late.
        if (!removed && (await storedRecord(sub))) throw preconditionFailed(`account ${sub}`);
        await endPerson(sub);
        await forgetFactors(sub);
        if (!removed && username !== undefined) await runtime.releaseUsername(username, sub);
        return { status: 204, change: { id: sub, action: 'delete' } };
      },
    }),
  ];
}
