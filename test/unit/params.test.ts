import { HubError } from '../../src/errors.js';
import { parseHubRequest } from '../../src/hub/params.js';
import { parseHubUrl } from '../../src/hub/urls.js';

const bounds = { leaseMinSeconds: 60, leaseDefaultSeconds: 864000, leaseMaxSeconds: 2592000, maxPublishUrls: 3 };
const form = (fields: Array<[string, string]> | Record<string, string>) => new URLSearchParams(fields);
const sub = (extra: Record<string, string> = {}) =>
  form({ 'hub.mode': 'subscribe', 'hub.callback': 'https://sub.example/cb?x=1', 'hub.topic': 'https://pub.example/feed', ...extra });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof HubError ? err.code : 'not a HubError';
  }
  return undefined;
}

describe('parseHubRequest', () => {
  test('H1: a subscribe request gives the typed request with the default lease (H3)', () => {
    expect(parseHubRequest(sub(), bounds)).toEqual({
      mode: 'subscribe',
      callback: 'https://sub.example/cb?x=1',
      topic: 'https://pub.example/feed',
      leaseSeconds: 864000,
      secret: undefined,
      verifyToken: undefined,
      signatureAlgorithm: undefined,
      verify: 'async',
      format: undefined,
      initial: 0,
    });
  });

  test('crier.format and crier.initial (Crier extensions) are read, and a bad value is refused with its own code', () => {
    expect(parseHubRequest(sub({ 'crier.format': 'JSON', 'crier.initial': '50' }), bounds)).toMatchObject({ format: 'json', initial: 50 });
    expect(parseHubRequest(sub({ 'crier.format': 'feed', 'crier.initial': '' }), bounds)).toMatchObject({ format: 'feed', initial: 0 });
    for (const format of ['xml', 'json,feed', 'rss'])
      expect(codeOf(() => parseHubRequest(sub({ 'crier.format': format }), bounds))).toBe('HUB_ERR_PARAM_DELIVERY_FORMAT_INVALID');
    for (const initial of ['-1', '51', '1.5', '1e1', 'x', '0010'])
      expect(codeOf(() => parseHubRequest(sub({ 'crier.initial': initial }), bounds))).toBe('HUB_ERR_PARAM_INITIAL_INVALID');
  });

  test('a replay request names a topic, a callback and a count from 1 to 50 (default 10)', () => {
    const replay = (extra: Record<string, string> = {}) => sub({ 'hub.mode': 'replay', ...extra });
    expect(parseHubRequest(replay(), bounds)).toEqual({
      mode: 'replay',
      callback: 'https://sub.example/cb?x=1',
      topic: 'https://pub.example/feed',
      count: 10,
    });
    expect(parseHubRequest(replay({ count: '50' }), bounds)).toMatchObject({ count: 50 });
    for (const count of ['0', '51', 'ten', '-3'])
      expect(codeOf(() => parseHubRequest(replay({ count }), bounds))).toBe('HUB_ERR_PARAM_COUNT_INVALID');
    expect(codeOf(() => parseHubRequest(replay({ 'hub.callback': 'nope' }), bounds))).toBe('HUB_ERR_PARAM_CALLBACK_INVALID');
  });

  test('H26: hub.verify=sync alone or first asks for synchronous verification and sha1 signatures', () => {
    expect(parseHubRequest(sub({ 'hub.verify': 'sync' }), bounds)).toMatchObject({ verify: 'sync', signatureAlgorithm: 'sha1' });
    const both = sub();
    both.append('hub.verify', 'async');
    both.append('hub.verify', 'sync');
    expect(parseHubRequest(both, bounds)).toMatchObject({ verify: 'async', signatureAlgorithm: 'sha1' });
    expect(parseHubRequest(sub({ 'hub.verify': 'sync', 'hub.signature_algorithm': 'sha512' }), bounds)).toMatchObject({
      signatureAlgorithm: 'sha512',
    });
  });

  test('H3: a lease is clamped to the bounds', () => {
    expect(parseHubRequest(sub({ 'hub.lease_seconds': '1' }), bounds)).toMatchObject({ leaseSeconds: 60 });
    expect(parseHubRequest(sub({ 'hub.lease_seconds': '3600' }), bounds)).toMatchObject({ leaseSeconds: 3600 });
    expect(parseHubRequest(sub({ 'hub.lease_seconds': '999999999999' }), bounds)).toMatchObject({ leaseSeconds: 2592000 });
  });

  test('H3: on unsubscribe the lease is ignored, even when malformed', () => {
    const request = parseHubRequest(form({ ...Object.fromEntries(sub()), 'hub.mode': 'unsubscribe', 'hub.lease_seconds': 'x' }), bounds);
    expect(request).toMatchObject({ mode: 'unsubscribe', leaseSeconds: undefined });
  });

  test.each(['abc', '1.5', '-1', '1e3', '0x10', '1234567890123'])('H9: hub.lease_seconds=%s is refused', (value) => {
    expect(codeOf(() => parseHubRequest(sub({ 'hub.lease_seconds': value }), bounds))).toBe('HUB_ERR_PARAM_LEASE_INVALID');
  });

  test('H2: a secret is limited in bytes, not characters', () => {
    expect(parseHubRequest(sub({ 'hub.secret': 'a'.repeat(199) }), bounds)).toMatchObject({ secret: 'a'.repeat(199) });
    expect(codeOf(() => parseHubRequest(sub({ 'hub.secret': 'a'.repeat(200) }), bounds))).toBe('HUB_ERR_PARAM_SECRET_TOO_LONG');
    expect(codeOf(() => parseHubRequest(sub({ 'hub.secret': '€'.repeat(67) }), bounds))).toBe('HUB_ERR_PARAM_SECRET_TOO_LONG'); // 201 bytes, 67 chars
    expect(parseHubRequest(sub({ 'hub.secret': '€'.repeat(66) }), bounds)).toMatchObject({ secret: '€'.repeat(66) }); // 198 bytes
  });

  test('an empty secret means no secret', () => {
    expect(parseHubRequest(sub({ 'hub.secret': '' }), bounds)).toMatchObject({ secret: undefined });
  });

  test('H4: unknown parameters are ignored', () => {
    expect(parseHubRequest(sub({ foo: 'bar', 'hub.foo': 'bar' }), bounds)).toEqual(parseHubRequest(sub(), bounds));
  });

  test('H26: hub.verify_token is kept; a huge one is refused', () => {
    expect(parseHubRequest(sub({ 'hub.verify': 'sync', 'hub.verify_token': 't' }), bounds)).toMatchObject({ verifyToken: 't' });
    expect(codeOf(() => parseHubRequest(sub({ 'hub.verify_token': 'x'.repeat(1025) }), bounds))).toBe('HUB_ERR_PARAM_VERIFY_INVALID');
  });

  test.each<[string, Array<[string, string]>, string]>([
    ['no hub.mode', [['hub.callback', 'https://a.example/']], 'HUB_ERR_PARAM_MODE_MISSING'],
    ['empty hub.mode', [['hub.mode', '']], 'HUB_ERR_PARAM_MODE_MISSING'],
    ['unknown hub.mode', [['hub.mode', 'SUBSCRIBE']], 'HUB_ERR_PARAM_MODE_UNKNOWN'],
    [
      'no callback',
      [
        ['hub.mode', 'subscribe'],
        ['hub.topic', 'https://a.example/'],
      ],
      'HUB_ERR_PARAM_CALLBACK_INVALID',
    ],
    [
      'no topic',
      [
        ['hub.mode', 'subscribe'],
        ['hub.callback', 'https://a.example/'],
      ],
      'HUB_ERR_PARAM_TOPIC_INVALID',
    ],
    [
      'mode repeated with different values',
      [
        ['hub.mode', 'subscribe'],
        ['hub.mode', 'unsubscribe'],
      ],
      'HUB_ERR_PARAM_REPEATED',
    ],
  ])('H9: %s is refused', (_name, fields, code) => {
    expect(codeOf(() => parseHubRequest(form(fields), bounds))).toBe(code);
  });

  test('the same field repeated with the same value is accepted', () => {
    const f = sub();
    f.append('hub.mode', 'subscribe');
    expect(parseHubRequest(f, bounds)).toMatchObject({ mode: 'subscribe' });
  });

  test('H17: publish collects hub.url, hub.url[] and hub.topic, normalised and deduplicated', () => {
    const f = form([
      ['hub.mode', 'publish'],
      ['hub.url', 'https://pub.example/a'],
      ['hub.url[]', 'https://PUB.example/%61'],
      ['hub.topic', 'https://pub.example/b#frag'],
    ]);
    expect(parseHubRequest(f, bounds)).toEqual({ mode: 'publish', urls: ['https://pub.example/a', 'https://pub.example/b'] });
  });

  test('H17: publish without a URL, or with more than the cap, is refused', () => {
    expect(codeOf(() => parseHubRequest(form({ 'hub.mode': 'publish' }), bounds))).toBe('HUB_ERR_PUBLISH_NO_URL');
    const many = form([
      ['hub.mode', 'publish'],
      ...['a', 'b', 'c', 'd'].map((p): [string, string] => ['hub.url', `https://p.example/${p}`]),
    ]);
    expect(codeOf(() => parseHubRequest(many, bounds))).toBe('HUB_ERR_PUBLISH_TOO_MANY_URLS');
  });
});

describe('parseHubUrl', () => {
  test('H6: percent-encoded unreserved characters are decoded, others keep upper-case hex', () => {
    expect(parseHubUrl('https://pub.example/%7Euser/%41%2d%2E%5F%30?q=%7e%2f', 'hub.topic')).toBe('https://pub.example/~user/A-._0?q=~%2F');
  });

  test('H6: %-encoded and plain spellings of a topic give the same normal form', () => {
    expect(parseHubUrl('http://pub.example/%7Efeed', 'hub.topic')).toBe(parseHubUrl('http://pub.example/~feed', 'hub.topic'));
  });

  test('the host is lower-cased, the fragment dropped, an empty path becomes "/"', () => {
    expect(parseHubUrl('HTTPS://Pub.Example#top', 'hub.topic')).toBe('https://pub.example/');
  });

  test('H7: the callback query string is kept as given', () => {
    expect(parseHubUrl('https://sub.example/cb?hub.mode=mine&b=2&a=1', 'hub.callback')).toBe(
      'https://sub.example/cb?hub.mode=mine&b=2&a=1',
    );
  });

  test.each<[string, string, string]>([
    ['ftp://a.example/', 'hub.callback', 'HUB_ERR_PARAM_CALLBACK_INVALID'],
    ['javascript:alert(1)', 'hub.topic', 'HUB_ERR_PARAM_TOPIC_INVALID'],
    ['/relative', 'hub.topic', 'HUB_ERR_PARAM_TOPIC_INVALID'],
    ['   ', 'hub.callback', 'HUB_ERR_PARAM_CALLBACK_INVALID'],
    ['https://u:p@a.example/', 'hub.callback', 'HUB_ERR_PARAM_URL_CREDENTIALS'],
    ['https://u@a.example/', 'hub.topic', 'HUB_ERR_PARAM_URL_CREDENTIALS'],
    [`https://a.example/${'x'.repeat(2040)}`, 'hub.topic', 'HUB_ERR_PARAM_URL_TOO_LONG'],
  ])('H9: %s as %s is refused with %s', (raw, field, code) => {
    expect(codeOf(() => parseHubUrl(raw, field as 'hub.topic'))).toBe(code);
  });

  test('a URL of exactly 2048 characters is accepted', () => {
    const url = `https://a.example/${'x'.repeat(2048 - 'https://a.example/'.length)}`;
    expect(url).toHaveLength(2048);
    expect(parseHubUrl(url, 'hub.topic')).toBe(url);
  });

  test('a URL that grows past 2048 characters when normalised is refused', () => {
    const raw = `https://a.example/${'x'.repeat(2027)} yy`; // the space becomes %20
    expect(raw.length).toBeLessThanOrEqual(2048);
    expect(codeOf(() => parseHubUrl(raw, 'hub.topic'))).toBe('HUB_ERR_PARAM_URL_TOO_LONG');
  });
});
