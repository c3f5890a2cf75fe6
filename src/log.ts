import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Paths pino blanks out wherever they appear: secrets never reach a log line. */
const REDACT = [
  'secret',
  '*.secret',
  '["hub.secret"]',
  '*["hub.secret"]',
  'hub.secret',
  'signature',
  '*.signature',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-hub-signature"]',
  '*.headers["x-hub-signature"]',
  'adminToken',
  '*.adminToken',
  // PostgreSQL puts whole rows, secrets included, in a constraint violation's detail ("Failing row contains ...").
  'err.detail',
  'err.cause.detail',
];

/**
 * A callback or request URL as it may be logged: origin and path only. The
 * query string carries subscribers' credentials (`?apikey=...`) and, in a
 * verification request, `hub.verify_token`.
 */
export function urlForLog(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}

/** Root JSON logger on stdout; modules take `log.child({ module })`. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { callback: (v: unknown) => (typeof v === 'string' ? urlForLog(v) : v) },
    base: { pid: process.pid },
  };
  return destination ? pino(options, destination) : pino(options);
}
