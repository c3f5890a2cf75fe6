import { decideOutcome, endedBeforeAttempt, type AttemptResult } from '../../src/workers/delivery-outcome.js';

const NOW = Date.UTC(2026, 0, 1);
const policy = { maxAttempts: 3, retryBaseMs: 1000 };
const top = () => 1 - Number.EPSILON; // the upper edge of every jitter window
const bottom = () => 0;

const failed = (status: number | null, error = `callback answered ${status}`): AttemptResult => ({
  ok: false,
  gone: status === 410,
  status,
  error,
});
const deferred = (retryAt: number, error = 'circuit open'): AttemptResult => ({ ok: false, deferred: true, retryAt, error });

describe('decideOutcome', () => {
  test('a 2xx answer is delivered, counting the attempt that made it', () => {
    expect(decideOutcome({ result: { ok: true }, attempt: 1, policy, now: NOW })).toEqual({ kind: 'delivered', attempts: 1 });
    expect(decideOutcome({ result: { ok: true }, attempt: 3, policy, now: NOW })).toEqual({ kind: 'delivered', attempts: 3 });
  });

  test('H22: a 410 Gone ends the subscription, even on the last attempt', () => {
    expect(decideOutcome({ result: failed(410), attempt: 1, policy, now: NOW })).toEqual({ kind: 'ended', reason: 'gone' });
    expect(decideOutcome({ result: failed(410), attempt: 3, policy, now: NOW })).toEqual({ kind: 'ended', reason: 'gone' });
  });

  test('a failure before the last attempt retries with the next attempt number after the backoff delay', () => {
    const outcome = decideOutcome({ result: failed(500), attempt: 1, policy, now: NOW, random: bottom });
    expect(outcome).toEqual({
      kind: 'retry',
      at: NOW + 500,
      nextAttempt: 2,
      attempts: 1,
      statusCode: 500,
      error: 'callback answered 500',
    });
  });

  test('the retry delay doubles with each attempt, within its jitter window', () => {
    const at = (attempt: number, random: () => number) => {
      const outcome = decideOutcome({ result: failed(503), attempt, policy: { maxAttempts: 10, retryBaseMs: 1000 }, now: NOW, random });
      if (outcome.kind !== 'retry') throw new Error(`expected a retry, got ${outcome.kind}`);
      return outcome.at - NOW;
    };
    expect([1, 2, 3, 4].map((n) => at(n, bottom))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => at(n, top))).toEqual([1000, 2000, 4000, 8000]);
  });

  test('the retry delay is capped at one day however many attempts were made', () => {
    const outcome = decideOutcome({
      result: failed(500),
      attempt: 40,
      policy: { maxAttempts: 100, retryBaseMs: 60_000 },
      now: NOW,
      random: top,
    });
    expect(outcome).toMatchObject({ kind: 'retry', at: NOW + 24 * 60 * 60 * 1000 });
  });

  test('a failure at the last attempt is dropped, keeping its status and error', () => {
    expect(decideOutcome({ result: failed(500), attempt: 3, policy, now: NOW })).toEqual({
      kind: 'dropped',
      attempts: 3,
      statusCode: 500,
      error: 'callback answered 500',
    });
    // An operator's retry of a dropped delivery runs as the last attempt, or past it: one more failure drops it again.
    expect(decideOutcome({ result: failed(500), attempt: 4, policy, now: NOW })).toMatchObject({ kind: 'dropped', attempts: 4 });
  });

  test('a 4xx other than 410 is a failure like any other, not the end of the subscription', () => {
    expect(decideOutcome({ result: failed(404), attempt: 1, policy, now: NOW })).toMatchObject({ kind: 'retry', statusCode: 404 });
    expect(decideOutcome({ result: failed(404), attempt: 3, policy, now: NOW })).toMatchObject({ kind: 'dropped', statusCode: 404 });
  });

  test('a failure without an answer (timeout, reset, unopenable secret) retries with no status code', () => {
    const outcome = decideOutcome({ result: failed(null, 'headers timeout'), attempt: 2, policy, now: NOW });
    expect(outcome).toMatchObject({ kind: 'retry', nextAttempt: 3, attempts: 2, statusCode: null, error: 'headers timeout' });
  });

  test('with one attempt allowed, the first failure is dropped', () => {
    const outcome = decideOutcome({ result: failed(502), attempt: 1, policy: { maxAttempts: 1, retryBaseMs: 1000 }, now: NOW });
    expect(outcome).toMatchObject({ kind: 'dropped', attempts: 1 });
  });

  test('an open circuit or a paused host postpones the attempt to its retry time without spending one', () => {
    const outcome = decideOutcome({ result: deferred(NOW + 30_000), attempt: 2, policy, now: NOW, random: bottom });
    expect(outcome).toEqual({ kind: 'postponed', until: NOW + 30_000, attempts: 1, error: 'circuit open' });
  });

  test('a postponement is spread over up to a second past the retry time', () => {
    const until = (random: () => number) => {
      const outcome = decideOutcome({ result: deferred(NOW + 5000), attempt: 1, policy, now: NOW, random });
      if (outcome.kind !== 'postponed') throw new Error(`expected a postponement, got ${outcome.kind}`);
      return outcome.until;
    };
    expect(until(bottom)).toBe(NOW + 5000);
    expect(until(top)).toBe(NOW + 5999);
    expect(Number.isInteger(until(() => 0.123456))).toBe(true);
  });

  test('a postponement whose retry time has passed goes out from now, never in the past', () => {
    const outcome = decideOutcome({ result: deferred(NOW - 10_000), attempt: 1, policy, now: NOW, random: bottom });
    expect(outcome).toMatchObject({ kind: 'postponed', until: NOW });
  });

  test('a postponement at or past the last attempt is still a postponement, not a drop', () => {
    const outcome = decideOutcome({ result: deferred(NOW + 1000), attempt: 3, policy, now: NOW, random: bottom });
    expect(outcome).toMatchObject({ kind: 'postponed', attempts: 2 });
  });
});

describe('endedBeforeAttempt', () => {
  test('H23: a subscription whose lease has expired gets no further attempt', () => {
    expect(endedBeforeAttempt({ expiresAt: new Date(NOW - 1), now: NOW })).toEqual({ kind: 'ended', reason: 'expired' });
    expect(endedBeforeAttempt({ expiresAt: new Date(NOW), now: NOW })).toEqual({ kind: 'ended', reason: 'expired' });
  });

  test('a live subscription is attempted', () => {
    expect(endedBeforeAttempt({ expiresAt: new Date(NOW + 1), now: NOW })).toBeUndefined();
  });
});
