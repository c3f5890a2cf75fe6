/**
 * Circuit breakers per callback origin (scheme://host:port), after Google's
 * hub: an origin's circuit opens only when most of its recent attempts failed
 * (FAILURE_RATIO over WINDOW_MS, with at least `minAttempts` in the window), so
 * one bad subscriber on a shared host does not penalise the rest. While open,
 * deliveries to the origin are delayed, never dropped: deliver.ts schedules them
 * as retry jobs at `retryAt` without counting an attempt. When the cool-down
 * ends the circuit goes half-open and lets one probe through; a success closes
 * it, a failure reopens it with a doubled cool-down (capped).
 *
 * The state lives in this process only: each worker learns an origin's health
 * by itself. A worker that has not seen the failures yet will try, fail and
 * open its own circuit after `minAttempts`; nothing is shared through Redis or
 * PostgreSQL, so a restart forgets every circuit (they start closed).
 *
 * Pure state machine: the clock is injected, nothing here does I/O.
 */

/** Share of failures among recent attempts that opens a circuit. */
export const FAILURE_RATIO = 0.8;
/** How far back attempts count. */
export const WINDOW_MS = 5 * 60 * 1000;
const BUCKET_MS = 10 * 1000;

export interface CircuitOptions {
  /** Attempts within the window before the ratio is trusted. */
  minAttempts: number;
  /** First cool-down before a probe; doubles after each failed probe. */
  cooldownMs: number;
  /** Longest cool-down. */
  maxCooldownMs: number;
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** May an attempt go now? If not, when to try again. `probe` marks the half-open trial. */
export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryAt: number };

interface Bucket {
  start: number;
  ok: number;
  failed: number;
}

interface Circuit {
  state: CircuitState;
  buckets: Bucket[];
  /** Open: when the next probe may go. */
  openUntil: number;
  cooldownMs: number;
  /** Half-open: a probe is out; others wait until it reports or this passes. */
  probeDeadline: number;
}

export interface CircuitBreakers {
  /** Asks before each attempt to `origin`. A caller given `probe: true` must report its outcome. */
  admit(origin: string): Admission;
  /** Reports an attempt's outcome; `ok` means the host answered sanely (not a timeout, reset or 5xx). */
  record(origin: string, ok: boolean): void;
  state(origin: string): CircuitState;
  /** Origins whose circuit is open or half-open now (for metrics, at scrape time). */
  openCount(): number;
}

export function createCircuitBreakers(options: CircuitOptions): CircuitBreakers {
  const now = options.now ?? Date.now;
  const circuits = new Map<string, Circuit>();
  const open = (c: Circuit, t: number, cooldownMs: number) => openCircuit(c, t, Math.min(cooldownMs, options.maxCooldownMs));
  const close = (c: Circuit) => closeCircuit(c, options.cooldownMs);

  function get(origin: string): Circuit {
    let c = circuits.get(origin);
    if (!c) {
      c = { state: 'closed', buckets: [], openUntil: 0, cooldownMs: options.cooldownMs, probeDeadline: 0 };
      circuits.set(origin, c);
    }
    return c;
  }

  let records = 0;
  /** Closed circuits with nothing in the window are forgotten, so memory follows the active origins. */
  function forgetIdle(t: number): void {
    for (const [origin, c] of circuits) {
      prune(c, t);
      if (c.state === 'closed' && c.buckets.length === 0) circuits.delete(origin);
    }
  }

  return {
    admit(origin) {
      const c = circuits.get(origin);
      if (!c || c.state === 'closed') return { allowed: true, probe: false };
      const t = now();
      if (c.state === 'open') {
        if (t < c.openUntil) return { allowed: false, retryAt: c.openUntil };
        c.state = 'half-open';
        c.probeDeadline = t + c.cooldownMs;
        return { allowed: true, probe: true };
      }
      // Half-open with a probe out: wait for it; a probe that never reports counts as failed.
      if (t < c.probeDeadline) return { allowed: false, retryAt: c.probeDeadline };
      open(c, t, c.cooldownMs * 2);
      return { allowed: false, retryAt: c.openUntil };
    },

    record(origin, ok) {
      const t = now();
      const c = get(origin);
      if (c.state === 'half-open') {
        if (ok) close(c);
        else open(c, t, c.cooldownMs * 2);
        return;
      }
      if (c.state === 'open') return; // attempts admitted before it opened: already counted in
      prune(c, t);
      count(c, t, ok);
      if (++records % 10_000 === 0) forgetIdle(t);
      if (ok) return;
      const { total, failed } = windowTotals(c);
      if (total >= options.minAttempts && failed >= total * FAILURE_RATIO) open(c, t, options.cooldownMs);
    },

    openCount() {
      let open = 0;
      for (const c of circuits.values()) if (c.state !== 'closed') open++;
      return open;
    },

    state(origin) {
      const c = circuits.get(origin);
      if (!c) return 'closed';
      if (c.state === 'open' && now() >= c.openUntil) return 'half-open';
      return c.state;
    },
  };
}

/** Drops the buckets that have left the window. */
function prune(c: Circuit, t: number): void {
  while (c.buckets.length > 0 && c.buckets[0].start <= t - WINDOW_MS) c.buckets.shift();
}

/** Counts an attempt at `t` into its bucket. */
function count(c: Circuit, t: number, ok: boolean): void {
  const start = t - (t % BUCKET_MS);
  let bucket = c.buckets[c.buckets.length - 1];
  if (!bucket || bucket.start !== start) {
    bucket = { start, ok: 0, failed: 0 };
    c.buckets.push(bucket);
  }
  if (ok) bucket.ok++;
  else bucket.failed++;
}

/** Attempts, and failed ones, in the window. */
function windowTotals(c: Circuit): { total: number; failed: number } {
  let total = 0;
  let failed = 0;
  for (const b of c.buckets) {
    total += b.ok + b.failed;
    failed += b.failed;
  }
  return { total, failed };
}

/** Opens `c` at `t` for `cooldownMs` (already capped), forgetting its window. */
function openCircuit(c: Circuit, t: number, cooldownMs: number): void {
  c.state = 'open';
  c.cooldownMs = cooldownMs;
  c.openUntil = t + c.cooldownMs;
  c.buckets = [];
}

/** Closes `c`, its cool-down back to the first one. */
function closeCircuit(c: Circuit, cooldownMs: number): void {
  c.state = 'closed';
  c.cooldownMs = cooldownMs;
  c.buckets = [];
}
