import type { Config } from '../config.js';
import { hitRateLimits, refundRateLimit, type Database } from '../db/index.js';
import { HubError } from '../errors.js';
import type { Logger } from '../log.js';
import { clientKey } from '../net/target-key.js';

const WINDOW_MS = 60_000;

/** Which secret is being guessed: the console and the admin API share HUB_ADMIN_TOKEN, /metrics has its own. */
export type AuthScope = 'admin' | 'metrics';

export interface AuthThrottle {
  /**
   * Runs `check` (a constant-time comparison of what the client sent) unless the client (its address, or its
   * IPv6 /64) has already had HUB_ADMIN_AUTH_FAILURES_PER_MINUTE wrong tokens this minute: then it throws
   * HUB_ERR_AUTH_THROTTLED (429 with Retry-After) without checking, so a right guess looks like a wrong one.
   */
  attempt(client: string | undefined, check: () => boolean): Promise<boolean>;
}

/** What the throttle uses of a hub's Deps (named here, not imported: metrics/endpoint.ts uses the throttle). */
export interface AuthThrottleDeps {
  db: Database;
  clock: () => number;
  log: Logger;
  config: Pick<Config, 'adminAuthFailuresPerMinute'>;
}

/**
 * Failed admin authentication counted per client in the shared database (rate_limits), so every web
 * process sees one total, in fixed one-minute windows. Each attempt is counted before it is checked
 * and a right one is taken back: concurrent guesses cannot all slip in under the limit before the
 * first failure is recorded. Logged once at the first failure of a window and once when the
 * throttle starts, never once per try.
 */
export function createAuthThrottle(deps: AuthThrottleDeps, scope: AuthScope): AuthThrottle {
  const log = deps.log.child({ module: 'auth-throttle', scope });
  const limit = deps.config.adminAuthFailuresPerMinute;
  return {
    async attempt(address, check) {
      const client = clientKey(address ?? 'unknown');
      const key = `authfail:${scope}:${client}`;
      const now = deps.clock();
      const windowStart = new Date(now - (now % WINDOW_MS));
      const [tries] = await hitRateLimits(deps.db.pool, [key], windowStart);
      if (tries > limit) {
        const retryAfter = Math.ceil((windowStart.getTime() + WINDOW_MS - now) / 1000);
        if (tries === limit + 1) log.warn({ client, limit, retryAfter }, 'admin authentication throttled');
        throw new HubError(
          'HUB_ERR_AUTH_THROTTLED',
          `more than ${limit} wrong tokens a minute from this address; retry in ${retryAfter}s`,
          { details: { retryAfter } },
        );
      }
      if (check()) {
        await refundRateLimit(deps.db.pool, key, windowStart);
        return true;
      }
      if (tries === 1) log.warn({ client }, 'admin authentication failed');
      return false;
    },
  };
}
