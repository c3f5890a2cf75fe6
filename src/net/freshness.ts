import CachePolicy from 'http-cache-semantics';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * How long the publisher says a topic's response stays fresh, in seconds (Cache-Control max-age,
 * Expires against Date, less Age; RFC 9111), or undefined when it says nothing. A 304 carries the
 * refreshed headers of the stored 200, so it is judged as that 200.
 * http-cache-semantics (the library got's own cache uses) reads the headers.
 */
export function freshSeconds(headers: IncomingHttpHeaders): number | undefined {
  if (headers['cache-control'] === undefined && headers.expires === undefined) return undefined;
  const policy = new CachePolicy({ url: '/', method: 'GET', headers: {} }, { status: 200, headers }, { shared: false });
  // Rounded: the policy counts from the moment it was built, a few ms ago.
  const ttl = Math.round(policy.timeToLive() / 1000);
  return ttl > 0 ? ttl : undefined;
}

/** Retry-After (RFC 9110 §10.2.3) in seconds from `now`: delay-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
