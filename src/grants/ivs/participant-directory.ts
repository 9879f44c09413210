import type { RosterEntry, RosterLimit, Rosters, SetStore, ValueStore } from '../../store/store.js';
import type { Participant, ParticipantEnding } from '../common/participants.js';
import type { IvsCapability } from './participant-token.js';

/** An IVS stage's participant: its stage ARN is the resource, its capabilities IVS's. */
export interface IvsParticipant extends Participant {
  capabilities: IvsCapability[];
  moderated?: IvsCapability[];
}

/** What a participant's admission is held to, beyond its stage's roster: the limits and who it replaces. */
export interface Admission {
  limits: readonly RosterLimit[];
  /** The subset whose live members the participant replaces (one participant per person). */
  displacing?: string;
}

export type AdmissionOutcome =
  | { outcome: 'admitted'; replaced: string[] }
  | { outcome: 'limit_reached'; subset: string | null }
  | { outcome: 'not_live' }
  /** A renewal made from a record someone has rewritten since: decide again from the new one. */
  | { outcome: 'changed' };

/** The subsets of a stage's roster: its publishers, and each person's participants. */
export const PUBLISHERS = 'publishers';
export const participantsOf = (person: string) => `person:${person}`;

/**
 * Whom per-person admission and keep-outs hold: the verified person (a subject token's sub), or
 * else the user id a client chose when minting for itself, named within that client so that it
 * never stands for a real person nor for another client's user.
 */
export function admittedAs({ person, userId, clientId }: Pick<IvsParticipant, 'person' | 'userId' | 'clientId'>): string | undefined {
  if (person !== undefined) return person;
  return userId === undefined ? undefined : `client:${clientId}:${userId}`;
}

/** Which stage a participant is on: the roster is the stage's, and an id alone must find it. */
const stageKey = (participantId: string) => `ivs-participant-stage:${participantId}`;
/** The participants a client minted, and those minted for a person, until each one's end: ended with the client or the person's account. */
const ofClientKey = (clientId: string) => `ivs-participants-of-client:${clientId}`;
const ofPersonKey = (person: string) => `ivs-participants-of-person:${person}`;

/**
 * Every participant minted for a stage, kept in the stage's roster until its token expires, so
 * that every instance counts the stage's live participants alike and finds any of them by id.
 */
export class IvsParticipantDirectory {
  constructor(private readonly store: Rosters & ValueStore & SetStore) {}

  /** Records a new participant, admitted only within the admission's limits. */
  async admit(participant: IvsParticipant, admission: Admission): Promise<AdmissionOutcome> {
    const lifetime = secondsLeft(participant);
    // Written first: an id whose admission is refused points at no record, and is answered as unknown.
    await this.store.setValue(stageKey(participant.id), participant.resource, lifetime);
    await this.store.addUntilEnd(ofClientKey(participant.clientId), participant.id, lifetime);
    if (participant.person !== undefined) await this.store.addUntilEnd(ofPersonKey(participant.person), participant.id, lifetime);
    return this.#enrol(participant, admission, 'join', lifetime, undefined);
  }

  /**
   * The participant with a new token (new capabilities, attributes, expiry), if it is still live,
   * still as `read` (no one wrote it since) and the limits allow it.
   */
  async renew(read: IvsParticipant, participant: IvsParticipant, admission: Admission): Promise<AdmissionOutcome> {
    const lifetime = secondsLeft(participant);
    await this.store.extendValue(stageKey(participant.id), lifetime);
    await this.store.addUntilEnd(ofClientKey(participant.clientId), participant.id, lifetime);
    if (participant.person !== undefined) await this.store.addUntilEnd(ofPersonKey(participant.person), participant.id, lifetime);
    return this.#enrol(participant, admission, 'renew', lifetime, recordOf(read));
  }

  /** Takes a live participant off its stage's counts, saying how; false when it was no longer recorded. */
  async end(participant: IvsParticipant, ending: ParticipantEnding): Promise<boolean> {
    const { live: _live, ...record } = { ...participant, ended: ending };
    return this.store.leaveRoster(participant.resource, participant.id, JSON.stringify(record));
  }

  /** The live participants a client minted. */
  ofClient(clientId: string): Promise<IvsParticipant[]> {
    return this.#liveOf(ofClientKey(clientId));
  }

  /** The live participants minted for a person. */
  ofPerson(person: string): Promise<IvsParticipant[]> {
    return this.#liveOf(ofPersonKey(person));
  }

  async #liveOf(listing: string): Promise<IvsParticipant[]> {
    const found = await Promise.all((await this.store.liveMembers(listing)).map((id) => this.find(id)));
    return found.filter((participant) => participant?.live === true) as IvsParticipant[];
  }

  async find(id: string): Promise<IvsParticipant | undefined> {
    const stageArn = await this.store.getValue(stageKey(id));
    const entry = stageArn === undefined ? undefined : await this.store.rosterEntry(stageArn, id);
    return entry && participantOf(entry);
  }

  async page(stageArn: string, limit: number, after?: string): Promise<{ items: IvsParticipant[]; more: boolean }> {
    const { entries, more } = await this.store.rosterPage(stageArn, limit, after);
    return { items: entries.map(participantOf), more };
  }

  async #enrol(participant: IvsParticipant, { limits, displacing }: Admission, as: 'join' | 'renew', expiresIn: number, replacing: string | undefined): Promise<AdmissionOutcome> {
    const person = admittedAs(participant);
    const outcome = await this.store.enrol({
      roster: participant.resource,
      member: participant.id,
      value: recordOf(participant),
      subsets: [...(participant.capabilities.includes('PUBLISH') ? [PUBLISHERS] : []), ...(person === undefined ? [] : [participantsOf(person)])],
      expiresIn,
      as,
      limits,
      ...(displacing === undefined ? {} : { displacing }),
      ...(replacing === undefined ? {} : { replacing }),
    });
    if (outcome.outcome === 'enrolled') return { outcome: 'admitted', replaced: outcome.displaced };
    if (outcome.outcome === 'exists') throw new Error(`participant ${participant.id} is recorded already`);
    return outcome;
  }
}

/** Whole seconds until the participant's token expires, at least one. */
function secondsLeft({ issuedAt, expiresAt }: Participant): number {
  return Math.max(1, Math.round((Date.parse(expiresAt) - Date.parse(issuedAt)) / 1000));
}

/** The participant as its roster stores it; read back (participantOf) and written again, the same text. */
function recordOf(participant: IvsParticipant): string {
  const { live: _live, ...record } = participant;
  return JSON.stringify(record);
}

function participantOf({ value, live }: RosterEntry): IvsParticipant {
  return { ...(JSON.parse(value) as Omit<IvsParticipant, 'live'>), live };
}
