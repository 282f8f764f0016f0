import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line, wherever they appear in a structured record. */
export const redactedPaths = [
  'apiToken',
  'token',
  'password',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'config.apiToken',
  'databaseUrl',
  '*.apiToken',
  '*.password',
  '*.databaseUrl',
];

export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const opts: LoggerOptions = {
    name: options.name ?? 'learnloop',
    level: options.level ?? 'info',
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** Strips the password from a connection URL so it can be logged or printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return u.toString();
    u.password = 'REDACTED';
    return u.toString().replace(':REDACTED@', ':[redacted]@');
  } catch {
    return '[unparseable url]';
  }
}
