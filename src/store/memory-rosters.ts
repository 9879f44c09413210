import type { Clock } from '../time/clock.js';
import type { Enrolment, EnrolmentOutcome, RosterEntry, Rosters } from './rosters.js';

interface Member {
  value: string;
  /** Epoch milliseconds by the store's clock. */
  endsAt: number;
  live: boolean;
  subsets: readonly string[];
}

/**
 * Rosters in one process's memory. Every call is synchronous from its first read to its last
 * write, so no other call comes in between: that is what makes an enrolment one step.
 */
export class MemoryRosters implements Rosters {
  readonly #rosters = new Map<string, Map<string, Member>>();

  constructor(private readonly clock: Clock) {}

  async enrol({ roster: name, member, value, subsets, expiresIn, as, limits, displacing, replacing }: Enrolment): Promise<EnrolmentOutcome> {
    const roster = this.#roster(name);
    const current = roster.get(member);
    if (as === 'join' && current) return { outcome: 'exists' };
    if (as === 'renew' && !current?.live) return { outcome: 'not_live' };
    if (replacing !== undefined && current?.value !== replacing) return { outcome: 'changed' };
    const others = [...roster].filter(([id, entry]) => id !== member && entry.live);
    const displaced = displacing === undefined ? [] : others.filter(([, entry]) => entry.subsets.includes(displacing)).map(([id]) => id);
    for (const { subset, limit } of limits.filter((each) => each.subset === null || subsets.includes(each.subset))) {
      const counted = others.filter(([id, entry]) => !displaced.includes(id) && (subset === null || entry.subsets.includes(subset)));
      if (counted.length >= limit) return { outcome: 'limit_reached', subset };
    }
    for (const id of displaced) roster.get(id)!.live = false;
    roster.set(member, { value, endsAt: this.clock.now() + expiresIn * 1000, live: true, subsets: [...subsets] });
    return { outcome: 'enrolled', displaced };
  }

  async rosterEntry(roster: string, member: string): Promise<RosterEntry | undefined> {
    const entry = this.#roster(roster).get(member);
    return entry && entryOf(member, entry);
  }

  async rosterPage(roster: string, limit: number, after?: string): Promise<{ entries: RosterEntry[]; more: boolean }> {
    const members = [...this.#roster(roster).keys()].filter((member) => after === undefined || member > after).sort();
    const entries = members.slice(0, limit).map((member) => entryOf(member, this.#roster(roster).get(member)!));
    return { entries, more: members.length > limit };
  }

  async leaveRoster(roster: string, member: string, value: string): Promise<boolean> {
    const entry = this.#roster(roster).get(member);
    if (!entry) return false;
    Object.assign(entry, { value, live: false });
    return true;
  }

  /** The roster without the members whose end has come. */
  #roster(name: string): Map<string, Member> {
    const roster = this.#rosters.get(name) ?? new Map<string, Member>();
    const now = this.clock.now();
    for (const [member, entry] of roster) if (entry.endsAt <= now) roster.delete(member);
    this.#rosters.set(name, roster);
    return roster;
  }
}

function entryOf(member: string, { value, live, endsAt }: Member): RosterEntry {
  return { member, value, live, endsAt };
}
