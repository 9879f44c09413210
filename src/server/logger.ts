import { pino, type DestinationStream } from 'pino';

import { currentRequestId } from './request-context.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
type LogMethod = (message: string, fields?: Record<string, unknown>) => void;

/**
 * JSON lines (pino). Every line written while a request is handled carries its request id. Callers
 * pass fields, never secrets or tokens: nothing here can tell them apart.
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** Resolves once every line so far is written: lines are written asynchronously, and exit drops the rest. */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr unless given (tests capture them). */
  destination?: DestinationStream;
}

export function createLogger({ level = 'info', destination = pino.destination({ dest: 2, sync: false }) }: LoggerOptions = {}): Logger {
  const logger = pino({
    level,
    base: { pid: process.pid },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
  }, destination);
  const method = (name: Exclude<LogLevel, 'silent'>): LogMethod => (message, fields = {}) => logger[name](fields, message);
  const flush = () => new Promise<void>((resolve) => logger.flush(() => resolve()));
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error'), flush };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, flush: async () => {} };
