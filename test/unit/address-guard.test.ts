import dns from 'node:dns';
import { describe, expect, it } from '@jest/globals';
import { assertUrlAllowed, createGuardedLookup, guardedLookup, isAddressAllowed, isPublicAddress } from '../../src/net/index.js';
import { loopbackAlias } from '../helpers/hosts.js';

const lookup = (fn: typeof guardedLookup, host: string, options: dns.LookupOptions = {}) =>
  new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
    fn(host, options, (err, address) => resolve({ err, address })),
  );

describe('address guard (H27)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback /8'],
    ['10.1.2.3', 'RFC 1918 10/8'],
    ['172.16.0.1', 'RFC 1918 172.16/12'],
    ['172.31.255.255', 'RFC 1918 172.16/12 top'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT top'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast SSDP'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with zone'],
    ['fc00::1', 'unique-local fc'],
    ['fd12:3456::1', 'unique-local fd'],
    ['fd00:ec2::254', 'AWS IPv6 metadata'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped metadata, long form'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:0:127.0.0.1', 'SIIT-translated loopback'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated) of a public address'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
    ['64:ff9b::10.0.0.1', 'NAT64 of private'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['2001:db8::1', 'IPv6 documentation'],
  ])('%s (%s) is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
    expect(isAddressAllowed(address, false)).toBe(false);
    expect(isAddressAllowed(address, true)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('names and garbage are never treated as public addresses', () => {
    for (const value of ['localhost', 'example.com', '', '127.0.0.1.', '1.2.3', '::ffff:999.0.0.1'])
      expect(isPublicAddress(value)).toBe(false);
  });

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://127.000.000.001/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[0:0:0:0:0:ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/latest/meta-data/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://0/',
    'http://0.0.0.0:8080/',
    'http://10.0.0.1/',
    'http://100.100.100.200/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'https://192.168.0.1:8443/admin',
  ])('H27: %s is refused by default with HUB_ERR_ADDRESS_BLOCKED', (url) => {
    expect(() => assertUrlAllowed(url, false)).toThrow(expect.objectContaining({ code: 'HUB_ERR_ADDRESS_BLOCKED' }));
    expect(() => assertUrlAllowed(url, true)).not.toThrow();
  });

  it.each(['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'data:text/plain,hi', 'javascript:alert(1)'])(
    'H27: %s is refused for its scheme even when private networks are allowed',
    (url) => {
      expect(() => assertUrlAllowed(url, true)).toThrow(expect.objectContaining({ code: 'HUB_ERR_URL_SCHEME' }));
    },
  );

  it('H27: URLs with credentials are refused', () => {
    expect(() => assertUrlAllowed('http://user:pw@example.com/', true)).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_PARAM_URL_CREDENTIALS' }),
    );
  });

  it('public IP literals and names pass the URL check (names are checked at connect time)', () => {
    expect(assertUrlAllowed('http://8.8.8.8/feed', false).hostname).toBe('8.8.8.8');
    expect(assertUrlAllowed('https://example.com/feed', false).hostname).toBe('example.com');
  });

  it('H27: an allow list lets through exactly the listed addresses and subnets, in every notation', () => {
    const policy = { allowPrivateNetworks: false, allowAddresses: ['127.0.0.1', '10.1.0.0/16', 'fd00::/8'] };
    expect(isAddressAllowed('127.0.0.1', policy)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.1', policy)).toBe(true);
    expect(isAddressAllowed('127.0.0.2', policy)).toBe(false);
    expect(isAddressAllowed('10.1.200.3', policy)).toBe(true);
    expect(isAddressAllowed('10.2.0.1', policy)).toBe(false);
    expect(isAddressAllowed('fd12::1', policy)).toBe(true);
    expect(isAddressAllowed('fe80::1', policy)).toBe(false);
    expect(isAddressAllowed('8.8.8.8', policy)).toBe(true);
    expect(() => assertUrlAllowed('http://0x7f.1/', policy)).not.toThrow();
    expect(() => assertUrlAllowed('http://127.0.0.2/', policy)).toThrow(expect.objectContaining({ code: 'HUB_ERR_ADDRESS_BLOCKED' }));
    // localhost stays a name for loopback as a whole, not for one address.
    expect(() => assertUrlAllowed('http://localhost/', policy)).toThrow(expect.objectContaining({ code: 'HUB_ERR_ADDRESS_BLOCKED' }));
  });

  it('a malformed allow-list entry is a configuration error', () => {
    expect(() => isAddressAllowed('10.0.0.1', { allowPrivateNetworks: false, allowAddresses: ['not-an-ip'] })).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_CONFIG' }),
    );
  });
});

describe('guardedLookup (H27: the resolved address is checked)', () => {
  it('refuses localhost, which resolves to loopback, with HUB_ERR_ADDRESS_BLOCKED', async () => {
    const { err } = await lookup(guardedLookup, 'localhost');
    expect(err).toMatchObject({ code: 'HUB_ERR_ADDRESS_BLOCKED' });
    expect(err!.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
  });

  const alias = loopbackAlias();
  (alias ? it : it.skip)(`refuses ${alias}, a name /etc/hosts points at loopback, in single and all-answers mode`, async () => {
    expect(() => assertUrlAllowed(`http://${alias}/`, false)).not.toThrow();
    for (const options of [{}, { all: true }, { family: 4 }]) {
      const { err } = await lookup(guardedLookup, alias!, options);
      expect(err).toMatchObject({ code: 'HUB_ERR_ADDRESS_BLOCKED' });
    }
  });

  it('passes resolver errors through unchanged', async () => {
    const { err } = await lookup(guardedLookup, 'no-such-host.invalid');
    expect(err).toBeTruthy();
    expect(err!.code).not.toBe('HUB_ERR_ADDRESS_BLOCKED');
  });

  it('answers like dns.lookup when the policy allows the address', async () => {
    const allowLoopback = createGuardedLookup({ allowPrivateNetworks: false, allowAddresses: ['127.0.0.0/8', '::1'] });
    const single = await lookup(allowLoopback, 'localhost', { family: 4 });
    expect(single.err).toBeNull();
    expect(single.address).toBe('127.0.0.1');
    const all = await lookup(allowLoopback, 'localhost', { all: true, family: 4 });
    expect(all.address).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('IP literals given to the lookup are checked too', async () => {
    const { err } = await lookup(guardedLookup, '169.254.169.254');
    expect(err).toMatchObject({ code: 'HUB_ERR_ADDRESS_BLOCKED' });
  });
});

describe('HUB_ALLOWED_PORTS', () => {
  const policy = {
    allowPrivateNetworks: true,
    allowedPorts: [
      [80, 80],
      [443, 443],
      [8000, 8999],
    ] as const,
  };
  test('H27: a URL whose port (or its scheme default) is outside the list is refused, even with private networks allowed', () => {
    expect(() => assertUrlAllowed('http://example.com:6379/', policy)).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_PORT_NOT_ALLOWED' }),
    );
    expect(() => assertUrlAllowed('https://example.com:22/', policy)).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_PORT_NOT_ALLOWED' }),
    );
    expect(() => assertUrlAllowed('http://example.com/', policy)).not.toThrow();
    expect(() => assertUrlAllowed('https://example.com/', policy)).not.toThrow();
    expect(() => assertUrlAllowed('http://example.com:8443/', policy)).not.toThrow();
    expect(() => assertUrlAllowed('http://example.com:6379/', { allowPrivateNetworks: false })).not.toThrow();
  });
});
