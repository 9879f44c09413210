import type { AccountDirectory } from '../accounts/account-directory.js';
import type { CredentialStamps } from '../accounts/credential-stamps.js';
import { hashPassword, verifyPassword } from '../accounts/password.js';
import type { RuntimeAccount, RuntimeAccounts, RuntimeAccountWrite } from '../accounts/runtime-accounts.js';
import { type UpstreamAccount, type UpstreamAccounts, withDisabled } from '../accounts/upstream-accounts.js';
import { type Versioned, versionOf } from '../store/versioned-collection.js';
import { answerOf, type CreateBody, listed, type Listed, type ReplaceBody } from './account-views.js';
import { conflict, invalidRequest, preconditionFailed } from './admin-error.js';
import { assertIfMatch, etagOf } from './etag.js';
import type { AdminAnswer, AdminRequest } from './operation.js';
import { ABSENT, type ChangeJournal, madeBy } from './pending-changes.js';

export interface AccountChangeDependencies {
  directory: AccountDirectory;
  runtime: RuntimeAccounts;
  upstream: UpstreamAccounts;
  endPerson(sub: string): Promise<void>;
  credentialStamps: CredentialStamps;
}

type ReplaceRequest = AdminRequest<ReplaceBody>;

/**
 * How the accounts change, and how a change whose answer was lost is finished: its side effects
 * (revoked grants, a freed username) completed, and its retry answered as it would have been.
 */
export function accountChanges({ directory, runtime, upstream, endPerson, credentialStamps }: AccountChangeDependencies) {
  const storedRecord = (sub: string): Promise<Versioned<RuntimeAccount | UpstreamAccount> | undefined> =>
    (upstream.isUpstreamSubject(sub) ? upstream.find(sub) : runtime.find(sub));

  /**
   * Finishes a change left pending on the account, if its write was made: a deletion or a
   * disabling has every grant revoked, a deletion or a rename frees the username it left held.
   */
  const settle = (sub: string, journal: ChangeJournal) => journal.settle(sub, async (pending) => {
    const current = await storedRecord(sub);
    if (!madeBy(pending, current)) return false;
    if (pending.to === ABSENT || current?.item.disabled === true) await endPerson(sub);
    const held = pending.details?.username;
    if (held !== undefined) await runtime.releaseUsername(held, sub);
    return true;
  });

  /**
   * What an earlier creation by this client left of this one, found by the body's sub or else by
   * the username it claimed: the account it made and never answered, for its retry to answer; or
   * the subject it claimed the username for and never wrote, for its retry to take.
   */
  const earlierCreation = async (body: CreateBody, journal: ChangeJournal): Promise<{ made?: Versioned<RuntimeAccount>; sub?: string }> => {
    const sub = body.sub ?? (await runtime.holderOf(body.username));
    if (sub === undefined) return {};
    const pending = await journal.find(sub);
    const finished = await settle(sub, journal);
    const current = await runtime.find(sub);
    if (journal.isOwn(finished) && finished.action === 'create' && current && (await isAsked(current.item, body))) return { made: current };
    const unwritten = !current && journal.isOwn(pending) && pending.action === 'create';
    return { sub: body.sub ?? (unwritten ? sub : undefined) };
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

  /** A change's answer; a disabled account's grants are revoked (again, for a grant made while it was written). */
  const updated = async (answer: Listed): Promise<AdminAnswer> => {
    if (answer.view.disabled) await endPerson(answer.view.sub);
    return { ...answerOf(answer), change: { id: answer.view.sub, action: 'update' } };
  };

  /**
   * Disables or enables an upstream person. Disabling revokes their grants before the write as
   * well, so that one whose answer is lost has ended their tokens all the same.
   */
  const setUpstreamDisabled = async (person: Versioned<UpstreamAccount>, { body, ifMatch, journal }: ReplaceRequest, sentAgain: boolean): Promise<AdminAnswer> => {
    const sub = person.name;
    const fromProvider = (['username', 'password', 'claims', 'groups'] as const).find((field) => body[field] !== undefined);
    if (fromProvider) throw conflict(`${fromProvider} of ${sub} comes from upstream provider ${person.item.provider}; only disabled is set here`);
    const next = withDisabled(person.item, body.disabled ?? false);
    const to = etagOf(versionOf(next));
    if (sentAgain && etagOf(person.version) === to) return answerOf(listed.upstream(person));
    assertIfMatch(ifMatch, etagOf(person.version), `account ${sub}`);
    if (next.disabled) await endPerson(sub);
    await journal.begin(sub, { action: 'update', to });
    const changed = await upstream.setDisabled(person, next.disabled ?? false);
    if (!changed) throw preconditionFailed(`account ${sub}`);
    return updated(listed.upstream(changed));
  };

  /** Replaces an account made here; disabling it revokes its grants before the write as well. */
  const replaceAccount = async (account: Versioned<RuntimeAccount>, { body, ifMatch, journal }: ReplaceRequest, sentAgain: boolean): Promise<AdminAnswer> => {
    const { sub, username, password } = account.item;
    if (body.username === undefined) throw invalidRequest('username is required');
    const asked = { username: body.username, password: body.password, claims: body.claims ?? {}, groups: body.groups ?? [], disabled: body.disabled ?? false };
    if (sentAgain && (await isAsked(account.item, asked))) return answerOf(listed.api(account));
    assertIfMatch(ifMatch, etagOf(account.version), `account ${sub}`);
    const renamed = asked.username !== username;
    if (renamed) assertUsernameFree(asked.username);
    const next: RuntimeAccount = {
      sub,
      username: asked.username,
      password: asked.password === undefined ? password : await hashPassword(asked.password),
      claims: asked.claims,
      groups: asked.groups,
      disabled: asked.disabled,
    };
    if (next.disabled) await endPerson(sub);
    // A new password, or an account enabled again: the browser sessions signed in before end (before the write, so that they do even if its answer is lost).
    if (asked.password !== undefined || (account.item.disabled && !next.disabled)) await credentialStamps.renew(sub);
    await journal.begin(sub, { action: 'update', to: etagOf(versionOf(next)), ...(renamed ? { details: { username } } : {}) });
    return updated(listed.api(written(await runtime.replace(account, next), sub, asked.username)));
  };

  return { storedRecord, settle, earlierCreation, assertUsernameFree, written, setUpstreamDisabled, replaceAccount };
}

/** Whether an account is what a call asks for: every field, and the password when the call gives one. */
async function isAsked(
  account: RuntimeAccount,
  asked: { username: string; password?: string | undefined; claims: Record<string, unknown>; groups: string[]; disabled: boolean },
): Promise<boolean> {
  const fields = ({ username, claims, groups, disabled }: typeof asked) => JSON.stringify({ username, claims, groups, disabled });
  return fields(account) === fields(asked) && (asked.password === undefined || (await verifyPassword(asked.password, account.password)));
}
