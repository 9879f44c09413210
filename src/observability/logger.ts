export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogMethod = (message: string, fields?: Record<string, unknown>) => void;

/**
 * What every layer logs through; `src/server/logger.ts` writes JSON lines (pino), each line written
 * while a request is handled carrying its request id. Callers pass fields, never secrets or
 * tokens: nothing here can tell them apart.
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
