import { clientKey, targetKey } from '../../src/net/target-key.js';

describe('what a rate limit counts (H28, issue 9)', () => {
  test('a callback counts as its registrable domain, whatever the case, trailing dot, subdomain or port', () => {
    const keys = ['http://victim.example/', 'https://WWW.Victim.example./cb', 'http://api.victim.example:8443/x?y=1'].map(targetKey);
    expect(new Set(keys)).toEqual(new Set(['victim.example']));
    expect(targetKey('http://a.b.co.uk/')).toBe('b.co.uk');
    // Private suffixes are separate owners.
    expect(targetKey('https://alice.github.io/')).not.toBe(targetKey('https://bob.github.io/'));
  });

  test('an address counts as its /24 (IPv4, also written mapped) or /64 (IPv6)', () => {
    expect(targetKey('http://203.0.113.5/')).toBe('203.0.113.0/24');
    expect(targetKey('http://203.0.113.200:8080/')).toBe('203.0.113.0/24');
    expect(targetKey('http://[::ffff:203.0.113.9]/')).toBe('203.0.113.0/24');
    expect(targetKey('http://[2001:db8:1:2::5]/')).toBe(targetKey('http://[2001:db8:1:2:ffff::1]/'));
    expect(targetKey('http://[2001:db8:1:2::5]/')).toBe(clientKey('2001:db8:1:2::5'));
  });
});
