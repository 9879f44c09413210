import type { AdminChange, Audit } from '../observability/audit.js';
import type { ValueStore } from '../store/store.js';
import { etagOf } from './etag.js';

/** Long enough for an operator to retry, or to read the item again, after an outage. */
const PENDING_SECONDS = 7 * 86_400;

/** What a deletion leaves of its item. */
export const ABSENT = 'absent';

/** Whether a pending change's write was made: the item is what it wrote (its stored version), or gone. */
export function madeBy(pending: PendingChange, current: { version: string } | undefined): boolean {
  return pending.to === ABSENT ? current === undefined : current !== undefined && etagOf(current.version) === pending.to;
}

/**
 * A change of the Admin API begun and not answered: noted before its deciding write, forgotten
 * once it is answered. Whoever finds it afterwards tells by `to` whether its write was made.
 */
export interface PendingChange {
  action: AdminChange['action'];
  /** Who asked for it, as its audit event names them. */
  clientId: string;
  ip?: string;
  /**
   * What the item is once the change is made: the ETag of the record it writes, `absent` for a
   * deletion, the key ids a rotation adds.
   */
  to: string;
  /** What finishing it needs beyond that (the username a deleted account frees). */
  details?: Readonly<Record<string, string>>;
  /** The id its audit event names, when not the item's: a rotation names the keys it adds. */
  auditId?: string;
}

/**
 * Completes what a change left undone when its write was made (revoking grants, freeing a
 * username) and says so; false when its write was never made.
 */
export type Completion = (pending: PendingChange) => Promise<boolean>;

/**
 * The Admin API's changes that began but were not answered, by item. A change whose write was
 * made but whose answer was 503 (the store stalled, a timeout after the write landed) is finished
 * by the next call that names the item, its retry or any read: its side effects are completed and
 * its audit event written, in the name of the client that asked for it. One whose write was never
 * made is forgotten, and the retry makes it.
 */
export class PendingChanges {
  constructor(private readonly store: ValueStore, private readonly audit: Audit) {}

  /** The journal of one call: what it begins is forgotten once it is answered. */
  forCall(resource: string, clientId: string, ip: string | undefined): ChangeJournal {
    return new ChangeJournal(this.store, this.audit, { resource, clientId, ip });
  }
}

export class ChangeJournal {
  readonly #begun = new Map<string, string>();

  constructor(
    private readonly store: ValueStore,
    private readonly audit: Audit,
    private readonly call: { resource: string; clientId: string; ip: string | undefined },
  ) {}

  /** The change left pending on the item, if any, as it was noted. */
  async find(id: string): Promise<PendingChange | undefined> {
    const text = await this.store.getValue(pendingKey(this.call.resource, id));
    return text === undefined ? undefined : (JSON.parse(text) as PendingChange);
  }

  /**
   * Finishes the change left pending on the item, if any: when `complete` finds its write made, it
   * is audited for its own client and answered here (this call may be its retry); otherwise it is
   * forgotten. A failure leaves it for the next call.
   */
  async settle(id: string, complete: Completion): Promise<PendingChange | undefined> {
    const key = pendingKey(this.call.resource, id);
    const text = await this.store.getValue(key);
    if (text === undefined) return undefined;
    const pending = JSON.parse(text) as PendingChange;
    const forget = () => this.store.replaceValue(key, text, undefined);
    // A write that timed out may land while its note is being forgotten: it is looked for once more after.
    const made = (await complete(pending)) || ((await forget()) && (await complete(pending)));
    if (!made) return undefined;
    const { clientId, action, ip, auditId } = pending;
    this.audit.adminChange({ clientId, resource: this.call.resource, id: auditId ?? id, action, ...(ip ? { ip } : {}) });
    await forget();
    return pending;
  }

  /** Notes the change this call is about to make, before its deciding write. */
  async begin(id: string, change: Pick<PendingChange, 'action' | 'to' | 'details' | 'auditId'>): Promise<void> {
    const pending: PendingChange = { ...change, clientId: this.call.clientId, ...(this.call.ip ? { ip: this.call.ip } : {}) };
    const text = JSON.stringify(pending);
    await this.store.setValue(pendingKey(this.call.resource, id), text, PENDING_SECONDS);
    this.#begun.set(id, text);
  }

  /** Whether a change this call settled was asked for by the same client: this call may be it, sent again. */
  isOwn(pending: PendingChange | undefined): pending is PendingChange {
    return pending !== undefined && pending.clientId === this.call.clientId;
  }

  /**
   * Forgets what this call began, once it is answered (made, or refused before its write). Left
   * behind when the store fails here, a note is settled by the next call of its item.
   */
  async close(): Promise<void> {
    await Promise.all([...this.#begun].map(([id, text]) =>
      this.store.replaceValue(pendingKey(this.call.resource, id), text, undefined).catch(() => false)));
    this.#begun.clear();
  }
}

const pendingKey = (resource: string, id: string) => `admin-pending:${resource}:${id}`;
