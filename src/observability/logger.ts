import type { EventEmitter } from 'node:events';

import { pino, type DestinationStream } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogMethod = (message: string, fields?: Record<string, unknown>) => void;

/**
 * What every layer logs through; `createLogger` below writes JSON lines (pino). Callers pass
 * fields, never secrets or tokens: nothing here can tell them apart.
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /**
   * Resolves once every line so far is written, and writes no more: lines are written
   * asynchronously, and exit drops what is not written yet. For the moment before exit.
   */
  close(): Promise<void>;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr, buffered (bufferedDestination), unless given (tests capture them). */
  destination?: DestinationStream;
}

/**
 * Lines are gathered until 4 KiB are waiting, then written in one synchronous write (pino's own
 * default is synchronous): a system call per line, or a hand-off to a worker thread per line,
 * would weigh on every request, since each request logs a line. What waits is written within
 * FLUSH_INTERVAL_MS when traffic is light, and when the log is closed.
 */
export function bufferedDestination(dest: number | string = 2): DestinationStream {
  return pino.destination({ dest, sync: true, minLength: 4096 });
}

/** The longest a line waits in the buffer before it is written. */
const FLUSH_INTERVAL_MS = 250;

export function createLogger({ level = 'info', destination = bufferedDestination() }: LoggerOptions = {}): Logger {
  const logger = pino({
    level,
    base: { pid: process.pid },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
  let closed = false;
  let unflushed = false;
  const flushing = typeof (destination as { flush?: unknown }).flush === 'function'
    ? setInterval(() => {
      if (!unflushed || closed) return;
      unflushed = false;
      logger.flush();
    }, FLUSH_INTERVAL_MS).unref()
    : undefined;
  // A line logged once closing has begun is dropped: the closed destination would throw in whoever logged it.
  const method = (name: Exclude<LogLevel, 'silent'>): LogMethod => (message, fields = {}) => {
    if (closed) return;
    logger[name](fields, message);
    unflushed = true;
  };
  // Lines still buffered when the process exits without closing the log (a failed start, a crash)
  // are written on the way out; 'exit' listeners may only do synchronous work.
  const { flushSync } = destination as { flushSync?: () => void };
  const flushAtExit = () => {
    if (closed) return;
    try {
      flushSync?.call(destination);
    } catch {
      // stderr is gone (EPIPE): there is nowhere left to write, and the exit code must stay the process's own.
    }
  };
  if (flushSync) process.once('exit', flushAtExit);
  const close = async () => {
    if (closed) return;
    closed = true;
    clearInterval(flushing);
    process.removeListener('exit', flushAtExit);
    await closeDestination(logger, destination);
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error'), close };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, close: async () => {} };

/** How long closing may wait for the destination: a stuck one must not keep a stopping process alive. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * pino's flush returns at once when its file destination writes asynchronously, even with a
 * write under way and lines queued behind it; ending the destination waits for them all. A
 * destination that fails (stderr a closed pipe) or never finishes is given up on.
 */
function closeDestination(logger: pino.Logger, destination: DestinationStream): Promise<void> {
  const file = destination as DestinationStream & Partial<Pick<EventEmitter, 'once'>> & { end?: () => void; destroyed?: boolean };
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    if (typeof file.end === 'function' && typeof file.once === 'function') {
      if (file.destroyed) return done();
      file.once('close', done);
      file.once('error', done);
      file.end();
    } else {
      logger.flush(done);
    }
  });
}
