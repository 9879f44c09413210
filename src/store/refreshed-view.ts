/**
 * What other instances may change, read from the store at most every `maxAgeMs`: a caller gets a
 * value loaded no longer ago than that, so a change made anywhere is seen everywhere within
 * `maxAgeMs` and a load's cost is shared by every request in between. Real time, not the
 * injectable clock: the age is how stale another instance's change may be seen.
 */
export class RefreshedView<T> {
  #value: T | undefined;
  #loadedAt = -Infinity;
  #loading: Promise<T> | undefined;
  /** Counts invalidations, so a load that began before one is not taken as fresh. */
  #changes = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly maxAgeMs = 500,
  ) {}

  async current(): Promise<T> {
    if (this.#value !== undefined && performance.now() - this.#loadedAt < this.maxAgeMs) return this.#value;
    return this.#loading ??= this.#reload();
  }

  /** After a change made here: the next caller reads it, whatever the age. */
  invalidate(): void {
    this.#changes += 1;
    this.#loadedAt = -Infinity;
    this.#loading = undefined;
  }

  async #reload(): Promise<T> {
    const startedAt = performance.now();
    const changes = this.#changes;
    const loading = this.load();
    try {
      const value = await loading;
      if (changes === this.#changes) {
        // What the load read is as fresh as the moment it started.
        this.#value = value;
        this.#loadedAt = startedAt;
      }
      return value;
    } finally {
      if (changes === this.#changes) this.#loading = undefined;
    }
  }
}
