/**
 * Plain values for stagepass's own features, by key. A value written with a lifetime (seconds) is
 * gone once it is over; one written without is kept until it is deleted, and so is one written
 * again without, whatever lifetime it had.
 */
export interface ValueStore {
  getValue(key: string): Promise<string | undefined>;
  setValue(key: string, value: string, expiresIn?: number): Promise<void>;
  deleteValue(key: string): Promise<void>;
  /**
   * Adds `by` (one unless given) to the integer value (absent counts as zero) and returns the new
   * count, in one atomic step, so that counters shared by several instances never lose an
   * increment. The lifetime is set when the count starts and not extended by later increments: a
   * counter is a window.
   */
  incrementValue(key: string, expiresIn: number, by?: number): Promise<number>;
  /**
   * Keeps a value at least `seconds` more: a value due to expire sooner lives that long, one that
   * lives longer (or until deleted) keeps its lifetime, an absent one stays absent.
   */
  extendValue(key: string, seconds: number): Promise<void>;
  /**
   * Compare and set: writes `next` (deletes the value when `next` is undefined) only if the value
   * is `expected` now (`undefined`: absent), in one atomic step, and says whether it did. Of two
   * instances changing one value from what both read, exactly one succeeds.
   */
  replaceValue(key: string, expected: string | undefined, next: string | undefined, expiresIn?: number): Promise<boolean>;
}
