import type { Logger } from './log.js';

/** How long one distinct error stays quiet after it was logged; repeats meanwhile are counted. */
export const REPEAT_WINDOW_MS = 60_000;
/** Distinct errors remembered; past this the memory starts over (a flood of distinct errors still logs). */
const MAX_REMEMBERED = 1000;

/**
 * A handler for the `error` events of long-lived clients (the pg pool, ioredis,
 * BullMQ queues and workers). Those fire outside any request or job, so nothing
 * else would report them; but a Redis outage fires one per reconnect attempt.
 * Each distinct error (source and message) is logged once per REPEAT_WINDOW_MS,
 * with how many times it recurred since it was last logged.
 */
export function errorEventLogger(log: Logger, source: string, now: () => number = Date.now): (err: unknown) => void {
  const seen = new Map<string, { loggedAt: number; repeats: number }>();
  return (err) => {
    const error = err instanceof Error ? err : new Error(String(err));
    const code = (error as { code?: unknown }).code;
    const key = `${typeof code === 'string' || typeof code === 'number' ? code : ''}:${error.message}`;
    const t = now();
    const entry = seen.get(key);
    if (entry && t - entry.loggedAt < REPEAT_WINDOW_MS) {
      entry.repeats++;
      return;
    }
    if (seen.size >= MAX_REMEMBERED) seen.clear();
    seen.set(key, { loggedAt: t, repeats: 0 });
    log.warn({ module: 'events', source, err: error, code, repeats: entry?.repeats ?? 0 }, `${source} reported an error`);
  };
}
