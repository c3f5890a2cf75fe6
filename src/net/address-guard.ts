import dns from 'node:dns';
import net from 'node:net';
import { HubError } from '../errors.js';

// WebSub §8 leaves SSRF to the hub (H27 in docs/websub-requirements.md): never reach these unless the operator allows it.
const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible forms; 64:ff9b:1::/48 is local-use NAT64.
  ['::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['3fff::', 20],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001::', 32],
  ['2002::', 16],
  ['64:ff9b:1::', 48],
] as const)
  blocked.addSubnet(prefix, bits, 'ipv6');

/**
 * The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined if it is not one.
 * The project's one IPv6 expander: ipaddr.js reads `::8.8.8.8` as IPv4-mapped, which the guard must not.
 */
export function ipv6Groups(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '').toLowerCase();
  if (net.isIPv6(text) === false) return undefined;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 ? groups : undefined;
}

/** The IPv4 address carried by an IPv4-mapped (::ffff:0:0/96), SIIT (::ffff:0:0:0/96) or NAT64 (64:ff9b::/96) address. */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 5) && g[5] === 0xffff;
  const siit = zeros(0, 4) && g[4] === 0xffff && g[5] === 0;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6);
  if (!mapped && !siit && !nat64) return undefined;
  return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
}

/** True when the address is globally routable unicast: the only kind the hub contacts by default. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/%.*$/, '');
  const family = net.isIP(bare);
  if (family === 4) return !blocked.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== undefined) return !blocked.check(v4, 'ipv4');
    return !blocked.check(bare, 'ipv6');
  }
  return false;
}

/**
 * What the hub may contact. `allowPrivateNetworks` (HUB_ALLOW_PRIVATE_NETWORKS)
 * lifts the guard entirely; `allowAddresses` lets through only the listed
 * non-public addresses or CIDR subnets ("10.1.2.3", "10.0.0.0/8", "fd00::/8").
 */
export interface AddressPolicy {
  allowPrivateNetworks: boolean;
  allowAddresses?: readonly string[];
  /** HUB_ALLOWED_PORTS: inclusive port ranges; undefined allows any port. */
  allowedPorts?: readonly PortRange[];
}

/** An inclusive range of TCP ports. */
export type PortRange = readonly [number, number];

/** The URL's port, or its scheme's default. */
function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

const allowLists = new WeakMap<readonly string[], net.BlockList>();

function allowListFor(entries: readonly string[]): net.BlockList {
  let list = allowLists.get(entries);
  if (list) return list;
  list = new net.BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = net.isIP(address);
    if (family === 0) throw new HubError('HUB_ERR_CONFIG', `allowed address "${entry}" is not an IP address or CIDR subnet`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  allowLists.set(entries, list);
  return list;
}

function toPolicy(policy: boolean | AddressPolicy): AddressPolicy {
  return typeof policy === 'boolean' ? { allowPrivateNetworks: policy } : policy;
}

/** True when `policy` lets the hub connect to `address` (an IP, never a name). */
export function isAddressAllowed(address: string, policy: boolean | AddressPolicy): boolean {
  const { allowPrivateNetworks, allowAddresses } = toPolicy(policy);
  if (allowPrivateNetworks || isPublicAddress(address)) return true;
  if (!allowAddresses || allowAddresses.length === 0) return false;
  const bare = address.replace(/%.*$/, '');
  const v4 = net.isIPv6(bare) ? embeddedIpv4(bare) : undefined;
  const list = allowListFor(allowAddresses);
  if (v4 !== undefined) return list.check(v4, 'ipv4');
  return list.check(bare, net.isIPv4(bare) ? 'ipv4' : 'ipv6');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: dns.LookupOptions | LookupCallback, callback?: LookupCallback) => void;

/**
 * A HubError whose code stays HUB_ERR_ADDRESS_BLOCKED: got and undici hand the
 * lookup's error back as is or as `cause`, so callers can tell a refusal
 * (permanent) from a network failure (retried).
 */
function blockedError(hostname: string, address: string): HubError {
  return new HubError('HUB_ERR_ADDRESS_BLOCKED', `${hostname} resolves to ${address}, which the hub may not contact`);
}

/**
 * A dns.lookup that refuses answers `policy` does not allow. HTTP clients call
 * it at connect time and connect to the address it returns, so the check applies
 * to the address actually connected to (no DNS rebinding window). Any refused
 * answer fails the whole lookup, so a name cannot mix a public and a private address.
 */
export function createGuardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts: dns.LookupOptions = typeof options === 'function' ? {} : options;
    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return cb(err, '');
      const list = addresses;
      const bad = list.find((a) => !isAddressAllowed(a.address, policy));
      if (bad) return cb(blockedError(hostname, bad.address), '');
      if (opts.all) return cb(null, list);
      if (list.length === 0) return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      cb(null, list[0].address, list[0].family);
    });
  };
}

/** dns.lookup that refuses every non-public answer: the default policy. */
export const guardedLookup: LookupFunction = createGuardedLookup({ allowPrivateNetworks: false });

/**
 * Checks what a resolver never sees: scheme, credentials and IP-literal hosts
 * (WHATWG parsing already turns `0x7f.1`, `0177.0.0.1`, `127.1` or `2130706433`
 * into 127.0.0.1 and `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`).
 */
export function assertUrlAllowed(url: string | URL, policy: boolean | AddressPolicy): URL {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HubError('HUB_ERR_URL_SCHEME', `${parsed.protocol} URLs are not allowed: ${parsed.href}`);
  }
  if (parsed.username || parsed.password) throw new HubError('HUB_ERR_PARAM_URL_CREDENTIALS');
  const rules = toPolicy(policy);
  const port = portOf(parsed);
  if (rules.allowedPorts && !rules.allowedPorts.some(([lo, hi]) => port >= lo && port <= hi)) {
    throw new HubError('HUB_ERR_PORT_NOT_ALLOWED', `port ${port} is not among HUB_ALLOWED_PORTS`);
  }
  if (rules.allowPrivateNetworks) return parsed;
  const host = parsed.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (net.isIP(host)) {
    if (!isAddressAllowed(host, rules)) throw blockedError(parsed.hostname, host);
    return parsed;
  }
  // RFC 6761 §6.3: localhost names are loopback whatever a resolver says.
  if (host === 'localhost' || host.endsWith('.localhost')) throw blockedError(parsed.hostname, 'loopback');
  return parsed;
}

/** The lookup to give HTTP clients under the configured policy. */
export function lookupFor(policy: boolean | AddressPolicy): LookupFunction {
  const rules = toPolicy(policy);
  return rules.allowPrivateNetworks ? (dns.lookup as unknown as LookupFunction) : createGuardedLookup(rules);
}
