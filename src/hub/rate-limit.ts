import type { Deps } from '../deps.js';
import { hitRateLimits } from '../db/index.js';
import { HubError } from '../errors.js';
import { clientKey, targetKey } from '../net/target-key.js';

const WINDOW_MS = 60_000;

/**
 * Per client address and per callback host limits on subscribe and publish
 * (H28), counted in the shared database so every web process sees the same
 * totals. 0 turns them off.
 */
export async function enforceRateLimit(deps: Deps, clientAddress: string, callback: string | undefined): Promise<void> {
  const limit = deps.config.rateLimitPerMinute;
  if (limit === 0) return;
  const keys = [`addr:${clientKey(clientAddress)}`];
  if (callback) keys.push(`callback:${targetKey(callback)}`);
  // Fixed one-minute windows: the count starts again at the next minute. One clock for the window and Retry-After.
  const now = deps.clock();
  const windowStart = now - (now % WINDOW_MS);
  const counts = await hitRateLimits(deps.db.pool, keys, new Date(windowStart));
  if (counts.some((n) => n > limit)) {
    const retryAfter = Math.ceil((windowStart + WINDOW_MS - now) / 1000);
    throw new HubError('HUB_ERR_RATE_LIMITED', `more than ${limit} requests a minute; retry in ${retryAfter}s`, {
      details: { retryAfter },
    });
  }
}
