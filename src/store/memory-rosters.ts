import type { Clock } from '../time/clock.js';
import type { Enrolment, EnrolmentOutcome, RosterEntry, Rosters } from './rosters.js';

interface Member {
  value: string;
  /** Epoch milliseconds by the store's clock. */
  endsAt: number;
  live: boolean;
  subsets: readonly string[];
}

/** The whole roster's count is the subset named ''. */
const WHOLE = '';

/**
 * One roster: its members, the live ones of each count, and every end to come in a heap (earliest
 * first), so that a call drops the members whose end has come without looking at the others.
 */
class Roster {
  readonly members = new Map<string, Member>();
  readonly #counted = new Map<string, Set<string>>();
  /** [end, member], as a binary min-heap; a renewed member's older end stays until it comes, then is skipped. */
  readonly #ends: [number, string][] = [];

  counted(subset: string): ReadonlySet<string> {
    return this.#counted.get(subset) ?? new Set();
  }

  set(id: string, member: Member): void {
    this.leave(id);
    this.members.set(id, member);
    for (const subset of [WHOLE, ...member.subsets]) this.#counted.set(subset, this.#counted.get(subset)?.add(id) ?? new Set([id]));
    this.#push([member.endsAt, id]);
  }

  leave(id: string): void {
    const member = this.members.get(id);
    if (!member?.live) return;
    member.live = false;
    for (const subset of [WHOLE, ...member.subsets]) this.#counted.get(subset)?.delete(id);
  }

  /** Drops the members whose end has come. */
  sweep(now: number): void {
    while (this.#ends.length > 0 && this.#ends[0]![0] <= now) {
      const [, id] = this.#pop();
      if ((this.members.get(id)?.endsAt ?? Infinity) > now) continue;
      this.leave(id);
      this.members.delete(id);
    }
  }

  #push(end: [number, string]): void {
    const heap = this.#ends;
    heap.push(end);
    for (let at = heap.length - 1; at > 0;) {
      const parent = (at - 1) >> 1;
      if (heap[parent]![0] <= heap[at]![0]) break;
      [heap[parent], heap[at]] = [heap[at]!, heap[parent]!];
      at = parent;
    }
  }

  #pop(): [number, string] {
    const heap = this.#ends;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    heap[0] = last;
    for (let at = 0; ;) {
      const [left, right] = [2 * at + 1, 2 * at + 2];
      let least = at;
      if (left < heap.length && heap[left]![0] < heap[least]![0]) least = left;
      if (right < heap.length && heap[right]![0] < heap[least]![0]) least = right;
      if (least === at) return top;
      [heap[least], heap[at]] = [heap[at]!, heap[least]!];
      at = least;
    }
  }
}

/**
 * Rosters in one process's memory. Every call is synchronous from its first read to its last
 * write, so no other call comes in between: that is what makes an enrolment one step. Each call
 * costs what it touches (the limits' counts, the members it displaces or that ended), not the
 * roster's size.
 */
export class MemoryRosters implements Rosters {
  readonly #rosters = new Map<string, Roster>();

  constructor(private readonly clock: Clock) {}

  async enrol({ roster: name, member, value, subsets, expiresIn, as, limits, displacing, replacing }: Enrolment): Promise<EnrolmentOutcome> {
    const roster = this.#roster(name);
    const current = roster.members.get(member);
    if (as === 'join' && current) return { outcome: 'exists' };
    if (as === 'renew' && !current?.live) return { outcome: 'not_live' };
    if (replacing !== undefined && current?.value !== replacing) return { outcome: 'changed' };
    const displaced = displacing === undefined ? [] : [...roster.counted(displacing)].filter((id) => id !== member);
    for (const { subset, limit } of limits.filter((each) => each.subset === null || subsets.includes(each.subset))) {
      const counted = roster.counted(subset ?? WHOLE);
      const count = counted.size - (counted.has(member) ? 1 : 0) - displaced.filter((id) => counted.has(id)).length;
      if (count >= limit) return { outcome: 'limit_reached', subset };
    }
    for (const id of displaced) roster.leave(id);
    roster.set(member, { value, endsAt: this.clock.now() + expiresIn * 1000, live: true, subsets: [...subsets] });
    return { outcome: 'enrolled', displaced };
  }

  async rosterEntry(roster: string, member: string): Promise<RosterEntry | undefined> {
    const entry = this.#roster(roster).members.get(member);
    return entry && entryOf(member, entry);
  }

  async rosterPage(name: string, limit: number, after?: string): Promise<{ entries: RosterEntry[]; more: boolean }> {
    const roster = this.#roster(name);
    const members = [...roster.members.keys()].filter((member) => after === undefined || member > after).sort();
    const entries = members.slice(0, limit).map((member) => entryOf(member, roster.members.get(member)!));
    return { entries, more: members.length > limit };
  }

  async leaveRoster(name: string, member: string, value: string): Promise<boolean> {
    const roster = this.#roster(name);
    const entry = roster.members.get(member);
    if (!entry) return false;
    roster.leave(member);
    entry.value = value;
    return true;
  }

  /** The roster, without the members whose end has come. */
  #roster(name: string): Roster {
    const roster = this.#rosters.get(name) ?? new Roster();
    roster.sweep(this.clock.now());
    this.#rosters.set(name, roster);
    return roster;
  }
}

function entryOf(member: string, { value, live, endsAt }: Member): RosterEntry {
  return { member, value, live, endsAt };
}
