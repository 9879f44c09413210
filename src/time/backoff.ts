import type { Clock } from './clock.js';

/**
 * How long to leave a server that failed alone: 1 second after the first failure, twice as long
 * after each further one, up to `maxSeconds`; nothing once it answers. Requests meanwhile are
 * answered at once instead of each asking the server again.
 */
export class Backoff {
  readonly #clock: Clock;
  readonly #maxSeconds: number;
  #failures = 0;
  #until = 0;

  constructor(clock: Clock, maxSeconds: number) {
    this.#clock = clock;
    this.#maxSeconds = maxSeconds;
  }

  /** Whole seconds until the server may be asked again; 0 when it may be now. */
  secondsLeft(): number {
    return Math.max(0, Math.ceil((this.#until - this.#clock.now()) / 1000));
  }

  /** A failure while the server is left alone already (an attempt that began before) adds no wait. */
  failed(): void {
    if (this.secondsLeft() > 0) return;
    this.#until = this.#clock.now() + Math.min(this.#maxSeconds, 2 ** this.#failures) * 1000;
    this.#failures += 1;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#until = 0;
  }
}
