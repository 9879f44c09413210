import { type Clock, epochSeconds } from '../time/clock.js';
import { asIndex, assertOneGroup, carriesIndex, type IndexedFields, storeKeys } from './keys.js';
import { MemoryLeases } from './memory-leases.js';
import { MemoryRosters } from './memory-rosters.js';
import type {
  CountedInsert, CountedInsertOutcome, Enrolment, EnrolmentOutcome, LeaseReservation, LeaseReservationOutcome, ModelPayload, RosterEntry, Store,
  StoreHealth, StoredLease, Successor,
} from './store.js';

interface Entry {
  value: unknown;
  /** Epoch milliseconds by the store's clock; absent means no expiry. */
  expiresAt?: number;
  /** On a model record consumed by a rotation: the id of the record that replaced it. */
  successor?: string;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * A single-process store for development and tests. Expiry and stamps follow the clock it is
 * given: an entry is invisible from the moment its clock passes its deadline, and expired entries
 * are swept every minute (of real time) so that memory does not grow with dead records.
 */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS).unref();
  #rosters: MemoryRosters;
  readonly #leases: MemoryLeases;

  constructor(private readonly clock: Clock) {
    this.#rosters = new MemoryRosters(clock);
    this.#leases = new MemoryLeases(clock);
  }

  async upsertModel(model: string, id: string, payload: ModelPayload, expiresIn?: number): Promise<void> {
    const key = storeKeys.model(model, id);
    const expiresAt = this.#deadlineFor(expiresIn);
    this.#entries.set(key, { value: structuredClone(payload), expiresAt });
    const { uid, userCode, grantId } = payload as IndexedFields;
    const uidIndex = asIndex(uid);
    const userCodeIndex = asIndex(userCode);
    const grantIndex = asIndex(grantId);
    if (uidIndex) this.#entries.set(storeKeys.uid(model, uidIndex), { value: id, expiresAt });
    if (userCodeIndex) this.#entries.set(storeKeys.userCode(model, userCodeIndex), { value: id, expiresAt });
    if (grantIndex) this.#addToGrant(grantIndex, key, expiresAt);
  }

  async findModel(model: string, id: string): Promise<ModelPayload | undefined> {
    const payload = this.#live(storeKeys.model(model, id)) as ModelPayload | undefined;
    return payload && structuredClone(payload);
  }

  async findModelByUid(model: string, uid: string): Promise<ModelPayload | undefined> {
    const id = this.#live(storeKeys.uid(model, uid));
    const found = typeof id === 'string' ? await this.findModel(model, id) : undefined;
    return carriesIndex(found, 'uid', uid) ? found : undefined;
  }

  async findModelByUserCode(model: string, userCode: string): Promise<ModelPayload | undefined> {
    const id = this.#live(storeKeys.userCode(model, userCode));
    const found = typeof id === 'string' ? await this.findModel(model, id) : undefined;
    return carriesIndex(found, 'userCode', userCode) ? found : undefined;
  }

  async consumeModel(model: string, id: string, successorId?: string): Promise<boolean> {
    const key = storeKeys.model(model, id);
    const payload = this.#live(key) as ModelPayload | undefined;
    if (!payload || payload.consumed !== undefined) return false;
    payload.consumed = epochSeconds(this.clock);
    if (successorId !== undefined) this.#entries.get(key)!.successor = successorId;
    return true;
  }

  async findSuccessor(model: string, id: string): Promise<Successor | undefined> {
    const key = storeKeys.model(model, id);
    const consumed = (this.#live(key) as ModelPayload | undefined)?.consumed;
    const successor = this.#entries.get(key)?.successor;
    return successor !== undefined && typeof consumed === 'number' ? { id: successor, consumedAt: consumed } : undefined;
  }

  async forgetSuccessor(model: string, id: string): Promise<void> {
    const key = storeKeys.model(model, id);
    if (this.#live(key) !== undefined) delete this.#entries.get(key)!.successor;
  }

  async destroyModel(model: string, id: string): Promise<void> {
    this.#entries.delete(storeKeys.model(model, id));
  }

  async revokeGrant(grantId: string): Promise<void> {
    const grantKey = storeKeys.grant(grantId);
    const members = this.#live(grantKey) as Set<string> | undefined;
    for (const key of members ?? []) this.#entries.delete(key);
    this.#entries.delete(grantKey);
  }

  async getValue(key: string): Promise<string | undefined> {
    return this.#live(storeKeys.value(key)) as string | undefined;
  }

  async setValue(key: string, value: string, expiresIn?: number): Promise<void> {
    this.#entries.set(storeKeys.value(key), { value, expiresAt: this.#deadlineFor(expiresIn) });
  }

  async deleteValue(key: string): Promise<void> {
    this.#entries.delete(storeKeys.value(key));
  }

  async replaceValue(key: string, expected: string | undefined, next: string | undefined, expiresIn?: number): Promise<boolean> {
    // No await between the comparison and the write: that is what makes it one step.
    if (this.#live(storeKeys.value(key)) !== expected) return false;
    if (next === undefined) this.#entries.delete(storeKeys.value(key));
    else this.#entries.set(storeKeys.value(key), { value: next, expiresAt: this.#deadlineFor(expiresIn) });
    return true;
  }

  async incrementValue(key: string, expiresIn: number, by = 1): Promise<number> {
    const entry = this.#entries.get(storeKeys.value(key));
    const live = entry && !this.#isExpired(entry);
    const count = (live ? Number(entry.value) : 0) + by;
    this.#entries.set(storeKeys.value(key), { value: String(count), expiresAt: live ? entry.expiresAt : this.#deadlineFor(expiresIn) });
    return count;
  }

  async extendValue(key: string, seconds: number): Promise<void> {
    const entry = this.#entries.get(storeKeys.value(key));
    if (!entry || this.#isExpired(entry) || entry.expiresAt === undefined) return;
    entry.expiresAt = Math.max(entry.expiresAt, this.#deadlineFor(seconds)!);
  }

  async addToSet(key: string, member: string, expiresIn?: number): Promise<void> {
    this.#addMember(storeKeys.set(key), member, this.#deadlineFor(expiresIn));
  }

  async setMembers(key: string): Promise<string[]> {
    return [...((this.#live(storeKeys.set(key)) as Set<string> | undefined) ?? [])];
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    (this.#live(storeKeys.set(key)) as Set<string> | undefined)?.delete(member);
  }

  async addUntilEnd(key: string, member: string, expiresIn: number): Promise<void> {
    const now = this.clock.now();
    const ends = (this.#live(storeKeys.endingSet(key)) as Map<string, number> | undefined) ?? new Map<string, number>();
    for (const [each, end] of ends) if (end <= now) ends.delete(each);
    ends.set(member, now + expiresIn * 1000);
    this.#entries.set(storeKeys.endingSet(key), { value: ends, expiresAt: Math.max(...ends.values()) });
  }

  async liveMembers(key: string): Promise<string[]> {
    const now = this.clock.now();
    const ends = (this.#live(storeKeys.endingSet(key)) as Map<string, number> | undefined) ?? new Map<string, number>();
    return [...ends].filter(([, end]) => end > now).map(([member]) => member);
  }

  /** Synchronous from the claim check to the last write, so no other call can come in between. */
  async insertCounted({ claim, countedIn, limit, member, record, alsoCountedIn, expiresIn }: CountedInsert): Promise<CountedInsertOutcome> {
    assertOneGroup(claim.key, countedIn, record.key, ...(alsoCountedIn ? [alsoCountedIn.key] : []));
    const held = this.#live(storeKeys.value(claim.key)) as string | undefined;
    if (held !== undefined) return { outcome: 'claimed', value: held };
    const sets = [{ key: countedIn, limit, which: 'countedIn' as const }, ...(alsoCountedIn ? [{ ...alsoCountedIn, which: 'alsoCountedIn' as const }] : [])];
    for (const set of sets) {
      const members = this.#live(storeKeys.counted(set.key)) as Map<string, number> | undefined;
      // Expired members are dropped only when the count matters, so inserting stays O(1) below the limit.
      const count = members === undefined ? 0 : members.size >= set.limit ? this.#dropExpired(members).size : members.size;
      if (count >= set.limit) return { outcome: 'limit_reached', which: set.which };
    }
    const expiresAt = this.#deadlineFor(expiresIn)!;
    for (const set of sets) this.#addCounted(storeKeys.counted(set.key), member, expiresAt);
    this.#entries.set(storeKeys.value(record.key), { value: record.value, expiresAt });
    this.#entries.set(storeKeys.value(claim.key), { value: claim.value, expiresAt: this.#deadlineFor(claim.expiresIn) });
    return { outcome: 'inserted' };
  }

  /** A counted set lives as long as its longest-lived member. */
  #addCounted(setKey: string, member: string, expiresAt: number): void {
    const entry = this.#entries.get(setKey);
    const live = entry !== undefined && !this.#isExpired(entry);
    const members = live ? (entry.value as Map<string, number>) : new Map<string, number>();
    members.set(member, expiresAt);
    this.#entries.set(setKey, { value: members, expiresAt: live ? laterOf(entry.expiresAt, expiresAt) : expiresAt });
  }

  async removeCounted(key: string, member: string): Promise<void> {
    (this.#live(storeKeys.counted(key)) as Map<string, number> | undefined)?.delete(member);
  }

  reserveLease(reservation: LeaseReservation): Promise<LeaseReservationOutcome> {
    return this.#leases.reserveLease(reservation);
  }

  renewLease(group: string, lease: string, until: number, record: string): Promise<boolean> {
    return this.#leases.renewLease(group, lease, until, record);
  }

  releaseLease(group: string, lease: string): Promise<string | undefined> {
    return this.#leases.releaseLease(group, lease);
  }

  findLease(group: string, lease: string): Promise<StoredLease | undefined> {
    return this.#leases.findLease(group, lease);
  }

  liveLeases(group: string): Promise<StoredLease[]> {
    return this.#leases.liveLeases(group);
  }

  leaseUnits(group: string): Promise<Record<string, number>> {
    return this.#leases.leaseUnits(group);
  }

  endLeases(group: string): Promise<string[]> {
    return this.#leases.endLeases(group);
  }

  expireLeases(group: string): Promise<string[]> {
    return this.#leases.expireLeases(group);
  }

  enrol(enrolment: Enrolment): Promise<EnrolmentOutcome> {
    return this.#rosters.enrol(enrolment);
  }

  rosterEntry(roster: string, member: string): Promise<RosterEntry | undefined> {
    return this.#rosters.rosterEntry(roster, member);
  }

  rosterPage(roster: string, limit: number, after?: string): Promise<{ entries: RosterEntry[]; more: boolean }> {
    return this.#rosters.rosterPage(roster, limit, after);
  }

  leaveRoster(roster: string, member: string, value: string): Promise<boolean> {
    return this.#rosters.leaveRoster(roster, member, value);
  }

  /** It keeps the time of the clock it was given, which stands for the machine's. */
  async clockOffset(): Promise<number> {
    return 0;
  }

  async health(): Promise<StoreHealth> {
    return 'ok';
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
    this.#rosters = new MemoryRosters(this.clock);
  }

  #addToGrant(grantId: string, memberKey: string, expiresAt: number | undefined): void {
    this.#addMember(storeKeys.grant(grantId), memberKey, expiresAt);
  }

  /** A set lives as long as its longest-lived member. */
  #addMember(setKey: string, member: string, expiresAt: number | undefined): void {
    const entry = this.#entries.get(setKey);
    const live = entry && !this.#isExpired(entry);
    const members = live ? (entry.value as Set<string>) : new Set<string>();
    members.add(member);
    this.#entries.set(setKey, { value: members, expiresAt: live ? laterOf(entry.expiresAt, expiresAt) : expiresAt });
  }

  #live(key: string): unknown {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#isExpired(entry)) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #sweep(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#isExpired(entry)) this.#entries.delete(key);
    }
  }

  /** A counted set's members, each with its expiry (epoch milliseconds), without the expired ones. */
  #dropExpired(members: Map<string, number>): Map<string, number> {
    const now = this.clock.now();
    for (const [member, expiresAt] of members) if (expiresAt <= now) members.delete(member);
    return members;
  }

  #deadlineFor(expiresIn: number | undefined): number | undefined {
    return expiresIn === undefined ? undefined : this.clock.now() + expiresIn * 1000;
  }

  #isExpired(entry: Entry): boolean {
    return entry.expiresAt !== undefined && entry.expiresAt <= this.clock.now();
  }
}

function laterOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}
