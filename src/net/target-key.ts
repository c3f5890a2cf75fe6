import net from 'node:net';
import { getDomain } from 'tldts';
import { ipv6Groups } from './address-guard.js';

/**
 * The key one client is counted under: an IPv4 address (also when written
 * IPv4-mapped), or the /64 of an IPv6 address, since one host usually holds a
 * whole /64 and could otherwise rotate through it.
 */
export function clientKey(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const g = ipv6Groups(bare);
  if (!g) return bare;
  // Also as URL parsing writes a mapped address: ::ffff:cb00:7109.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.');
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/**
 * The key an outbound request's target (a callback, a topic) is counted under: what it really is, so that
 * `victim.example.`, `www.Victim.example`, another port or a neighbouring
 * address do not each get a fresh budget. A name counts as its registrable
 * domain (the public suffix list, private suffixes such as github.io
 * included, via tldts); an IPv4 address as its /24; an IPv6 address as its /64.
 */
export function targetKey(url: string): string {
  const host = new URL(url).hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const client = clientKey(host);
  if (net.isIPv4(client)) return `${client.split('.').slice(0, 3).join('.')}.0/24`;
  if (client.endsWith('::/64')) return client;
  return getDomain(host, { allowPrivateDomains: true }) ?? host;
}
