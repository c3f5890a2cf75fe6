import { retryDelay } from '../../src/workers/backoff.js';

const DAY = 24 * 60 * 60 * 1000;

describe('retryDelay', () => {
  test('grows exponentially from the base: each retry doubles the window', () => {
    const top = () => 1; // the upper edge of the jitter window
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, 100, top))).toEqual([100, 200, 400, 800, 1600]);
    const bottom = () => 0;
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, 100, bottom))).toEqual([50, 100, 200, 400, 800]);
  });

  test('jitter keeps every delay within [half, all] of the exponential value', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const full = 1000 * 2 ** (attempt - 1);
      for (let i = 0; i < 200; i++) {
        const d = retryDelay(attempt, 1000);
        expect(d).toBeGreaterThanOrEqual(full / 2);
        expect(d).toBeLessThanOrEqual(full);
      }
    }
  });

  test('jitter spreads a burst of failures instead of retrying in lockstep', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelay(3, 60_000)));
    expect(delays.size).toBeGreaterThan(10);
  });

  test('is capped at one day however many attempts were made', () => {
    expect(retryDelay(40, 60_000, () => 1)).toBe(DAY);
    expect(retryDelay(1000, 60_000, () => 0)).toBe(DAY / 2);
    for (let i = 0; i < 100; i++) expect(retryDelay(30, 60_000)).toBeLessThanOrEqual(DAY);
  });

  test('attempt 0 or below is treated as the first retry', () => {
    expect(retryDelay(0, 100, () => 1)).toBe(100);
    expect(retryDelay(-3, 100, () => 1)).toBe(100);
  });

  test('always returns a whole number of milliseconds', () => {
    for (let i = 0; i < 100; i++) expect(Number.isInteger(retryDelay(1 + (i % 7), 333))).toBe(true);
  });
});
