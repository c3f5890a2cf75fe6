import { targetKey } from '../net/target-key.js';
import { createCircuitBreakers, type CircuitOptions } from './circuit.js';

/**
 * Decides whether a topic fetch may start now, so that slow or failing topic
 * servers cannot take every fetch slot and no topic is fetched in a tight loop:
 * - at most `perTarget` fetches in flight per target (a registrable domain, an
 *   IPv4 /24 or an IPv6 /64: net/target-key.ts), so one server, or one
 *   attacker with many names, holds a few slots at most;
 * - a circuit per topic origin (workers/circuit.ts) that repeated timeouts,
 *   resets and 5xx answers open;
 * - at least `minIntervalMs` between the end of a topic's fetch and the start
 *   of its next one (pings inside it coalesce into that next fetch);
 * - polls (fetches nobody asked for) are politer still: at most `poll.perTarget`
 *   of them in flight per target, their starts at least `poll.spacingMs` apart.
 * A fetch refused here is put back in its queue until `retryAt` without
 * spending an attempt. Like the delivery circuits, the state lives in this
 * process only; nothing here does I/O and the clock is injected.
 */

export interface FetchGateOptions {
  perTarget: number;
  minIntervalMs: number;
  circuit: CircuitOptions;
  /** Limits on polls, on top of the others. Default: none beyond them. */
  poll?: { perTarget: number; spacingMs: number };
  now?: () => number;
  /** 0..1; spreads the retries of fetches refused for a busy target. */
  random?: () => number;
}

/** Held while a fetch runs; `release` reports whether the server behaved (answered, in time, without a 5xx). */
export interface FetchPass {
  release(healthy: boolean): void;
}

/** `busy`: refused only because the target's share is taken. */
export type FetchAdmission = { go: true; pass: FetchPass } | { go: false; retryAt: number; reason: string; busy?: true };

export interface FetchGate {
  /** `poll`: the fetch is a scheduled poll, held to the poll limits too. */
  admit(url: string, lastFetchAt: Date | null, poll?: boolean): FetchAdmission;
  /** Topic origins whose circuit is open or half-open now. */
  openCircuits(): number;
  /**
   * For a fetch refused as `busy`: waits up to `timeoutMs` for one of the
   * target's fetches to end, when all of them started less than `timeoutMs`
   * ago (a burst of quick fetches, whose slots free in moments). Resolves
   * false at once for a target whose fetches are slow, so it keeps its share
   * and no more, and at the timeout.
   */
  waitForSlot(url: string, timeoutMs: number): Promise<boolean>;
}

/** How long a fetch refused for a busy target waits, before jitter (up to as much again): a few healthy fetches' time. */
const BUSY_RETRY_MS = 250;

export function createFetchGate(options: FetchGateOptions): FetchGate {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const circuits = createCircuitBreakers({ ...options.circuit, now });
  const inFlight = new Map<string, number>();
  const pollsInFlight = new Map<string, number>();
  // Start time of each target's latest poll; entries older than the spacing are dropped as they are passed.
  const lastPollStart = new Map<string, number>();
  const pollLimits = options.poll;
  // Start times of each target's fetches in flight, oldest first, and the fetches waiting for one of its slots.
  const starts = new Map<string, number[]>();
  const waiters = new Map<string, Array<() => void>>();

  function forgetOldPollStarts(t: number): void {
    for (const [target, start] of lastPollStart) if (t >= start + (pollLimits?.spacingMs ?? 0)) lastPollStart.delete(target);
  }

  return {
    openCircuits: () => circuits.openCount(),
    waitForSlot(url, timeoutMs) {
      const target = targetKey(url);
      const oldest = starts.get(target)?.[0];
      if (oldest === undefined || now() - oldest >= timeoutMs) return Promise.resolve(false);
      const queue = waiters.get(target) ?? [];
      waiters.set(target, queue);
      return new Promise<boolean>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          const i = queue.indexOf(wake);
          if (i >= 0) queue.splice(i, 1);
          if (queue.length === 0 && waiters.get(target) === queue) waiters.delete(target);
          resolve(false);
        }, timeoutMs);
        queue.push(wake);
      });
    },
    admit(url, lastFetchAt, poll = false) {
      const t = now();
      if (lastFetchAt && options.minIntervalMs > 0) {
        const due = lastFetchAt.getTime() + options.minIntervalMs;
        if (t < due) return { go: false, retryAt: due, reason: 'fetched moments ago' };
      }
      const target = targetKey(url);
      const running = inFlight.get(target) ?? 0;
      if (running >= options.perTarget) {
        return {
          go: false,
          retryAt: t + BUSY_RETRY_MS * (1 + random()),
          reason: `${running} fetches from ${target} already running`,
          busy: true,
        };
      }
      const polling = poll && pollLimits !== undefined;
      if (polling) {
        const polls = pollsInFlight.get(target) ?? 0;
        if (polls >= pollLimits.perTarget) {
          return { go: false, retryAt: t + BUSY_RETRY_MS * (1 + random()), reason: `${polls} polls of ${target} already running` };
        }
        const last = lastPollStart.get(target);
        if (last !== undefined && t < last + pollLimits.spacingMs) {
          return { go: false, retryAt: last + pollLimits.spacingMs * (1 + random()), reason: `${target} was polled moments ago` };
        }
      }
      const origin = new URL(url).origin;
      const admission = circuits.admit(origin);
      if (!admission.allowed)
        return { go: false, retryAt: admission.retryAt, reason: `circuit open for ${origin} after repeated failures` };

      inFlight.set(target, running + 1);
      const started = starts.get(target) ?? [];
      started.push(t);
      starts.set(target, started);
      if (polling) {
        pollsInFlight.set(target, (pollsInFlight.get(target) ?? 0) + 1);
        if (pollLimits.spacingMs > 0) lastPollStart.set(target, t);
        if (lastPollStart.size > 10_000) forgetOldPollStarts(t);
      }
      let released = false;
      return {
        go: true,
        pass: {
          release(healthy) {
            if (released) return;
            released = true;
            const left = (inFlight.get(target) ?? 1) - 1;
            if (left > 0) inFlight.set(target, left);
            else inFlight.delete(target);
            const started = starts.get(target);
            started?.splice(started.indexOf(t), 1);
            if (started?.length === 0) starts.delete(target);
            const queue = waiters.get(target);
            queue?.shift()?.();
            if (queue?.length === 0) waiters.delete(target);
            if (polling) {
              const polls = (pollsInFlight.get(target) ?? 1) - 1;
              if (polls > 0) pollsInFlight.set(target, polls);
              else pollsInFlight.delete(target);
            }
            circuits.record(origin, healthy);
          },
        },
      };
    },
  };
}
