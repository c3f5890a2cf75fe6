import { createCircuitBreakers, WINDOW_MS, type CircuitBreakers } from '../../src/workers/circuit.js';

const A = 'http://a.example';
const B = 'http://b.example';

describe('circuit breakers per callback origin', () => {
  let t: number;
  let circuits: CircuitBreakers;
  beforeEach(() => {
    t = 1_000_000;
    circuits = createCircuitBreakers({ minAttempts: 10, cooldownMs: 30_000, maxCooldownMs: 300_000, now: () => t });
  });
  const fail = (origin: string, n: number) => {
    for (let i = 0; i < n; i++) circuits.record(origin, false);
  };
  const succeed = (origin: string, n: number) => {
    for (let i = 0; i < n; i++) circuits.record(origin, true);
  };

  test('stays closed below the minimum sample even when every attempt failed', () => {
    fail(A, 9);
    expect(circuits.state(A)).toBe('closed');
    expect(circuits.admit(A)).toEqual({ allowed: true, probe: false });
  });

  test('opens when at least 80% of at least 10 recent attempts failed, and only for that origin', () => {
    succeed(A, 2);
    fail(A, 8);
    expect(circuits.state(A)).toBe('open');
    expect(circuits.admit(A)).toEqual({ allowed: false, retryAt: t + 30_000 });
    expect(circuits.admit(B)).toEqual({ allowed: true, probe: false });
  });

  test('stays closed when fewer than 80% failed', () => {
    succeed(A, 3);
    fail(A, 10);
    expect(circuits.state(A)).toBe('closed');
  });

  test('forgets attempts older than the five-minute window', () => {
    succeed(A, 50);
    t += WINDOW_MS + 10_000;
    fail(A, 10);
    expect(circuits.state(A)).toBe('open');
  });

  test('after the cool-down lets exactly one probe through and holds the rest until it reports', () => {
    fail(A, 10);
    t += 30_000;
    expect(circuits.admit(A)).toEqual({ allowed: true, probe: true });
    const held = circuits.admit(A);
    expect(held.allowed).toBe(false);
  });

  test('a successful probe closes the circuit by itself', () => {
    fail(A, 10);
    t += 30_000;
    circuits.admit(A);
    circuits.record(A, true);
    expect(circuits.state(A)).toBe('closed');
    expect(circuits.admit(A)).toEqual({ allowed: true, probe: false });
    // A fresh window: a few failures right after recovery do not reopen it.
    fail(A, 5);
    expect(circuits.state(A)).toBe('closed');
  });

  test('a failed probe reopens the circuit with a doubled cool-down, capped', () => {
    fail(A, 10);
    let cooldown = 30_000;
    for (const expected of [60_000, 120_000, 240_000, 300_000, 300_000]) {
      t += cooldown;
      expect(circuits.admit(A)).toEqual({ allowed: true, probe: true });
      circuits.record(A, false);
      expect(circuits.admit(A)).toEqual({ allowed: false, retryAt: t + expected });
      cooldown = expected;
    }
  });

  test('a probe that never reports counts as failed once its deadline passes', () => {
    fail(A, 10);
    t += 30_000;
    circuits.admit(A);
    t += 30_000;
    expect(circuits.admit(A)).toEqual({ allowed: false, retryAt: t + 60_000 });
  });

  test('outcomes of attempts admitted before the circuit opened do not change an open circuit', () => {
    fail(A, 10);
    succeed(A, 100);
    expect(circuits.state(A)).toBe('open');
  });
});
