import { withQuery } from '../../src/net/callback-url.js';

describe('withQuery (H7)', () => {
  const hub = { 'hub.mode': 'subscribe', 'hub.topic': 'https://pub.example/feed?x=1&y=2', 'hub.challenge': 'abc' };

  test('a callback without a query string gets "?" and the hub parameters', () => {
    expect(withQuery('https://sub.example/cb', hub)).toBe(
      'https://sub.example/cb?hub.mode=subscribe&hub.topic=https%3A%2F%2Fpub.example%2Ffeed%3Fx%3D1%26y%3D2&hub.challenge=abc',
    );
  });

  test('a callback with its own query keeps it and the hub parameters are appended with "&"', () => {
    const url = withQuery('https://sub.example/cb?feed=42', { 'hub.mode': 'subscribe' });
    expect(url).toBe('https://sub.example/cb?feed=42&hub.mode=subscribe');
  });

  test('the callback own hub.* parameters are never overwritten', () => {
    const url = new URL(withQuery('https://sub.example/cb?hub.mode=mine&hub.topic=t', hub));
    expect(url.searchParams.getAll('hub.mode')).toEqual(['mine', 'subscribe']);
    expect(url.searchParams.getAll('hub.topic')).toEqual(['t', hub['hub.topic']]);
  });

  test('a query ending in "?" or "&" gets no doubled separator', () => {
    expect(withQuery('https://sub.example/cb?', { a: '1' })).toBe('https://sub.example/cb?a=1');
    expect(withQuery('https://sub.example/cb?x=1&', { a: '1' })).toBe('https://sub.example/cb?x=1&a=1');
  });

  test('a fragment is dropped (it is never sent) and the parameters go before it would have been', () => {
    expect(withQuery('https://sub.example/cb?x=1#frag', { a: '1' })).toBe('https://sub.example/cb?x=1&a=1');
  });

  test('undefined parameters are left out', () => {
    expect(withQuery('https://sub.example/cb', { 'hub.mode': 'unsubscribe', 'hub.lease_seconds': undefined })).toBe(
      'https://sub.example/cb?hub.mode=unsubscribe',
    );
  });

  test('values are percent-encoded so they cannot inject parameters', () => {
    const url = new URL(withQuery('https://sub.example/cb', { 'hub.reason': 'no & hub.mode=subscribe' }));
    expect(url.searchParams.get('hub.reason')).toBe('no & hub.mode=subscribe');
    expect(url.searchParams.has('hub.mode')).toBe(false);
  });

  test('scheme, port and path of the callback are kept exactly as given', () => {
    expect(withQuery('http://sub.example:8081/a/b%20c/?k=v', { a: '1' })).toBe('http://sub.example:8081/a/b%20c/?k=v&a=1');
  });
});
