import type { ValueStore } from '../../store/store.js';
import { accessDenied, describe } from '../common/minting-error.js';

/** Why a person gets no token for a stage for a while: the disconnection of one of their participants. */
export interface KeepOut {
  participantId: string;
  /** Who disconnected it: a client id, or `admin:<client id>`. */
  by: string;
  /** ISO 8601. */
  at: string;
  until: string;
  reason?: string;
}

const keepOutKey = (stageArn: string, person: string) => `ivs-keep-out:${stageArn}:${person}`;

/**
 * Who was disconnected from a stage and is kept out of it for a while, read from the store at
 * every minting and exchange for the stage: every instance refuses them as soon as it is written.
 */
export class KeepOuts {
  constructor(
    private readonly store: ValueStore,
    /** Epoch milliseconds: a keep-out holds until its `until` by this clock (the store forgets it then too). */
    private readonly now: () => number,
  ) {}

  async keepOut(stageArn: string, person: string, keepOut: KeepOut, seconds: number): Promise<void> {
    if (seconds > 0) await this.store.setValue(keepOutKey(stageArn, person), JSON.stringify(keepOut), seconds);
  }

  /** Refuses, with an access_denied naming the disconnection, to mint for a person kept out of the stage. */
  async refuse(person: string | undefined, stageArn: string): Promise<void> {
    if (person === undefined) return;
    const held = await this.store.getValue(keepOutKey(stageArn, person));
    if (held === undefined) return;
    const { participantId, by, at, until, reason } = JSON.parse(held) as KeepOut;
    if (Date.parse(until) <= this.now()) return;
    throw accessDenied(describe`this person's participant ${participantId} was disconnected from stage ${stageArn} by ${by} at ${at}${reason ? ` (${reason})` : ''}; they are kept out until ${until}`);
  }
}
