/**
 * What a rotation noted on the record it consumed (`ModelStore.consumeModel` with a successor): the
 * record that replaced it, so that a retry of a rotation whose answer was lost finds its outcome.
 */
export interface RotationNotes {
  /** The successor a rotation noted on a consumed record, and when that record was consumed. */
  findSuccessor(model: string, id: string): Promise<Successor | undefined>;
  /** Removes the note of a record's successor, if it has one. */
  forgetSuccessor(model: string, id: string): Promise<void>;
}

export interface Successor {
  id: string;
  /** Epoch second the replaced record was consumed, by the store's clock. */
  consumedAt: number;
}
