import type { Deps } from '../deps.js';
import { hitRateLimits } from '../db/index.js';
import { HubError } from '../errors.js';
import { clientKey, targetKey } from '../net/target-key.js';

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
  const counts = await hitRateLimits(deps.db.pool, keys);
  if (counts.some((n) => n > limit)) {
    // Fixed one-minute windows: the count starts again at the next minute.
    const retryAfter = 60 - new Date().getUTCSeconds();
    throw new HubError('HUB_ERR_RATE_LIMITED', `more than ${limit} requests a minute; retry in ${retryAfter}s`, {
      details: { retryAfter },
    });
  }
}
