/** The process as a whole: which parts it runs, how it stops, what it logs. */
import { int, oneOf, type Setting } from '../setting-kinds.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const PROCESS_SETTINGS = {
  role: oneOf<'all' | 'web' | 'worker'>({
    env: 'HUB_ROLE',
    doc: '`all`, `web` or `worker`',
    values: ['all', 'web', 'worker'] as const,
    default: 'all',
  }),
  shutdownTimeoutMs: int({ env: 'HUB_SHUTDOWN_TIMEOUT_MS', doc: 'how long SIGTERM waits for in-flight work', default: 20000, min: 0 }),
  logLevel: oneOf<(typeof LOG_LEVELS)[number]>({ env: 'LOG_LEVEL', doc: 'pino level', values: LOG_LEVELS, default: 'info' }),
} satisfies Record<string, Setting<unknown>>;
