import { FAILING_AFTER, nextPollAt, nextPollInterval, type PollState } from '../../src/workers/poll-interval.js';

const bounds = { minSeconds: 300, maxSeconds: 86400 };
const now = new Date('2026-12-01T12:00:00Z');
const state = (overrides: Partial<PollState> = {}): PollState => ({
  intervalSeconds: 3600,
  reason: 'changes',
  failures: 0,
  lastChangeAt: null,
  ...overrides,
});
const poll = { source: 'poll' as const, hints: {}, pinged: false };

describe('poll interval', () => {
  test('a topic that keeps changing is polled sooner, never more often than the minimum', () => {
    const hourAgo = new Date(now.getTime() - 3600_000);
    expect(nextPollInterval(state({ lastChangeAt: hourAgo }), { ...poll, result: 'changed' }, bounds, now)).toMatchObject({
      intervalSeconds: 1800,
      reason: 'changes',
    });
    // Changes 2 minutes apart: half of that is under the minimum.
    const recent = new Date(now.getTime() - 120_000);
    expect(nextPollInterval(state({ lastChangeAt: recent }), { ...poll, result: 'changed' }, bounds, now).intervalSeconds).toBe(300);
  });

  test('a topic that does not change is polled later, never less often than the maximum', () => {
    expect(nextPollInterval(state(), { ...poll, result: 'unchanged' }, bounds, now)).toMatchObject({
      intervalSeconds: 5400,
      reason: 'changes',
    });
    expect(nextPollInterval(state({ intervalSeconds: 80000 }), { ...poll, result: 'unchanged' }, bounds, now).intervalSeconds).toBe(86400);
  });

  test("the publisher's Cache-Control, feed ttl and Retry-After stretch the interval but never past the maximum", () => {
    const unchanged = { ...poll, result: 'unchanged' as const };
    expect(nextPollInterval(state(), { ...unchanged, hints: { freshSeconds: 7200 } }, bounds, now).intervalSeconds).toBe(7200);
    expect(nextPollInterval(state(), { ...unchanged, hints: { feedRefreshSeconds: 21600 } }, bounds, now)).toMatchObject({
      intervalSeconds: 21600,
      reason: 'publisher',
    });
    expect(nextPollInterval(state(), { ...unchanged, hints: { freshSeconds: 10 ** 9 } }, bounds, now).intervalSeconds).toBe(86400);
    // A hint shorter than what was observed changes nothing, and none goes under the minimum.
    expect(nextPollInterval(state(), { ...unchanged, hints: { freshSeconds: 60 } }, bounds, now)).toMatchObject({ reason: 'changes' });
    const failed = nextPollInterval(state(), { ...poll, result: 'failed', hints: { retryAfterSeconds: 4000 } }, bounds, now);
    expect(failed).toMatchObject({ intervalSeconds: 4000, reason: 'backoff', failures: 1 });
  });

  test('errors back off exponentially; a topic that keeps failing is polled at the maximum and marked failing', () => {
    const failed = { ...poll, result: 'failed' as const };
    expect(nextPollInterval(state(), failed, bounds, now)).toMatchObject({ intervalSeconds: 300, reason: 'backoff', failures: 1 });
    expect(nextPollInterval(state({ failures: 3 }), failed, bounds, now)).toMatchObject({ intervalSeconds: 2400, failures: 4 });
    expect(nextPollInterval(state({ failures: FAILING_AFTER - 1 }), failed, bounds, now)).toMatchObject({
      intervalSeconds: 86400,
      reason: 'failing',
    });
    // One success ends it.
    expect(nextPollInterval(state({ failures: 20, reason: 'failing' }), { ...poll, result: 'unchanged' }, bounds, now).failures).toBe(0);
  });

  test('a ping that brings content earns the safety-net interval; a poll that catches a missed update loses it', () => {
    const pinged = nextPollInterval(state(), { source: 'ping', result: 'changed', hints: {}, pinged: true }, bounds, now);
    expect(pinged).toMatchObject({ intervalSeconds: 86400, reason: 'safety-net', missedByPing: false });
    const quiet = nextPollInterval(
      state({ reason: 'safety-net', intervalSeconds: 86400 }),
      { ...poll, result: 'unchanged', pinged: true },
      bounds,
      now,
    );
    expect(quiet).toMatchObject({ intervalSeconds: 86400, reason: 'safety-net' });
    const caught = nextPollInterval(
      state({ reason: 'safety-net', intervalSeconds: 86400 }),
      { ...poll, result: 'changed', pinged: true },
      bounds,
      now,
    );
    expect(caught).toMatchObject({ reason: 'changes', missedByPing: true });
    expect(caught.intervalSeconds).toBeLessThan(86400);
  });

  test('a change found by a poll of a topic never pinged is no miss', () => {
    expect(nextPollInterval(state(), { ...poll, result: 'changed' }, bounds, now).missedByPing).toBe(false);
  });

  test('the next poll time is spread by +-10% around the interval', () => {
    expect(nextPollAt(now, 1000, () => 0).getTime() - now.getTime()).toBe(900_000);
    expect(nextPollAt(now, 1000, () => 1).getTime() - now.getTime()).toBe(1_100_000);
  });
});
