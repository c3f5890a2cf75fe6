import net from 'node:net';
import { getDomain } from 'tldts';

/**
 * The key one client is counted under: an IPv4 address (also when written
 * IPv4-mapped), or the /64 of an IPv6 address, since one host usually holds a
 * whole /64 and could otherwise rotate through it.
 */
export function clientKey(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1];
  // The same, as URL parsing writes it: ::ffff:cb00:7109.
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (hexMapped) {
    const [hi, lo] = [parseInt(hexMapped[1], 16), parseInt(hexMapped[2], 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  if (!net.isIPv6(bare)) return bare;
  const [head, tail = ''] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * The key an outbound request's target (a callback, a topic) is counted under: what it really is, so that
 * `victim.example.`, `www.Victim.example`, another port or a neighbouring
 * address do not each get a fresh budget. A name counts as its registrable
 * domain (the public suffix list, private suffixes such as github.io
 * included, via tldts); an IPv4 address as its /24; an IPv6 address as its /64.
 */
export function targetKey(url: string): string {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const client = clientKey(host);
  if (net.isIPv4(client)) return `${client.split('.').slice(0, 3).join('.')}.0/24`;
  if (client.endsWith('::/64')) return client;
  return getDomain(host, { allowPrivateDomains: true }) ?? host;
}
