import net from 'node:net';
import type { Deps } from '../deps.js';
import { hitRateLimits } from '../db/index.js';
import { HubError } from '../errors.js';

/**
 * The key one client is counted under: an IPv4 address (also when written
 * IPv4-mapped), or the /64 of an IPv6 address, since one host usually holds a
 * whole /64 and could otherwise rotate through it.
 */
export function clientKey(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1];
  if (!net.isIPv6(bare)) return bare;
  const [head, tail = ''] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * Per client address and per callback host limits on subscribe and publish
 * (H28), counted in the shared database so every web process sees the same
 * totals. 0 turns them off.
 */
export async function enforceRateLimit(deps: Deps, clientAddress: string, callbackHost: string | undefined): Promise<void> {
  const limit = deps.config.rateLimitPerMinute;
  if (limit === 0) return;
  const keys = [`addr:${clientKey(clientAddress)}`];
  if (callbackHost) keys.push(`callback:${callbackHost.toLowerCase()}`);
  const counts = await hitRateLimits(deps.db.pool, keys);
  if (counts.some((n) => n > limit)) {
    // Fixed one-minute windows: the count starts again at the next minute.
    const retryAfter = 60 - new Date().getUTCSeconds();
    throw new HubError('HUB_ERR_RATE_LIMITED', `more than ${limit} requests a minute; retry in ${retryAfter}s`, { details: { retryAfter } });
  }
}
