import dns from 'node:dns';
import net from 'node:net';
import { HubError } from '../errors.js';

// WebSub §8 leaves SSRF to the hub (checklist H27): never reach these unless the operator allows it.
const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
  ['2001::', 32], ['2002::', 16],
] as const) blocked.addSubnet(prefix, bits, 'ipv6');

/** The IPv4 address hidden in an IPv4-mapped, -compatible or NAT64 IPv6 address, if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** True when the address is globally routable unicast: the only kind the hub contacts by default. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== undefined) return !blocked.check(v4, 'ipv4');
    return !blocked.check(address, 'ipv6');
  }
  return false;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

function blockedError(hostname: string, address: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new HubError('HUB_ERR_ADDRESS_BLOCKED', `${hostname} resolves to ${address}, which the hub may not contact`);
  err.code = 'EADDRBLOCKED';
  return err;
}

/**
 * dns.lookup that refuses non-public answers. It runs at connect time, so the
 * check applies to the address actually connected to (no DNS rebinding window).
 */
export function guardedLookup(hostname: string, options: dns.LookupOptions | LookupCallback, callback?: LookupCallback): void {
  const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
  const opts: dns.LookupOptions = typeof options === 'function' ? {} : options;
  dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
    if (err) return cb(err, '');
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => !isPublicAddress(a.address));
    if (bad) return cb(blockedError(hostname, bad.address), '');
    if (opts.all) return cb(null, list);
    if (list.length === 0) return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    cb(null, list[0].address, list[0].family);
  });
}

/**
 * Checks what a resolver never sees: scheme, credentials and IP-literal hosts
 * (WHATWG parsing already turns `0x7f.1` or `2130706433` into 127.0.0.1).
 */
export function assertUrlAllowed(url: string | URL, allowPrivateNetworks: boolean): URL {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HubError('HUB_ERR_URL_SCHEME', `${parsed.protocol} URLs are not allowed: ${parsed.href}`);
  }
  if (parsed.username || parsed.password) throw new HubError('HUB_ERR_PARAM_URL_CREDENTIALS');
  if (allowPrivateNetworks) return parsed;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !isPublicAddress(host)) throw blockedError(parsed.hostname, host);
  if (host === 'localhost' || host.endsWith('.localhost')) throw blockedError(parsed.hostname, 'loopback');
  return parsed;
}

/** The lookup to give HTTP clients under the configured policy. */
export function lookupFor(allowPrivateNetworks: boolean): typeof guardedLookup {
  return allowPrivateNetworks ? (dns.lookup as unknown as typeof guardedLookup) : guardedLookup;
}
