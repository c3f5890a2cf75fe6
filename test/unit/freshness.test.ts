import { freshSeconds, retryAfterSeconds } from '../../src/net/freshness.js';

describe('publisher freshness hints', () => {
  test('Cache-Control max-age gives the freshness, less Age; no-cache and no-store give none', () => {
    expect(freshSeconds({ 'cache-control': 'public, max-age=3600' })).toBe(3600);
    expect(freshSeconds({ 'cache-control': 'max-age=3600', age: '600' })).toBe(3000);
    expect(freshSeconds({ 'cache-control': 'no-store' })).toBeUndefined();
    expect(freshSeconds({})).toBeUndefined();
  });

  test('Expires counts from the Date header', () => {
    const date = new Date('2026-12-01T12:00:00Z');
    const expires = new Date(date.getTime() + 7200_000);
    expect(freshSeconds({ date: date.toUTCString(), expires: expires.toUTCString() })).toBe(7200);
  });

  test('Retry-After is read as seconds or as a date; anything else is ignored', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(new Date(now + 90_000).toUTCString(), now)).toBe(90);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
  });
});
