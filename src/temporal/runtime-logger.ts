import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../log.js';

let installed = false;

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The training worker serves activities only, by design: the SDK's warning about it is no news to an operator. */
const expected = (message: string) => message.startsWith('No workflows registered');

/**
 * Routes the Temporal runtime's logs (worker, workflow `log`, activity `log`) into pino, so every line is
 * structured JSON carrying the SDK's workflowId / runId / activityId metadata. Once per process.
 */
export function installTemporalRuntimeLogger(logger: Logger): void {
  if (installed) return;
  installed = true;
  const temporalLogger = logger.child({ component: 'temporal' });
  const minimum: LogLevel = logger.isLevelEnabled('debug') ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(minimum, ({ level, message, meta }) => {
      temporalLogger[expected(message) ? 'info' : levels[level]](meta ?? {}, message);
    }),
  });
}
