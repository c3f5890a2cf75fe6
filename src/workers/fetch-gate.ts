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
  const slots: Slots = { inFlight: new Map(), pollsInFlight: new Map(), lastPollStart: new Map(), starts: new Map(), waiters: new Map() };
  const pollLimits = options.poll;

  return {
    openCircuits: () => circuits.openCount(),
    waitForSlot(url, timeoutMs) {
      const target = targetKey(url);
      const oldest = slots.starts.get(target)?.[0];
      if (oldest === undefined || now() - oldest >= timeoutMs) return Promise.resolve(false);
      return waitInLine(slots.waiters, target, timeoutMs);
    },
    admit(url, lastFetchAt, poll = false) {
      const t = now();
      if (lastFetchAt && options.minIntervalMs > 0) {
        const due = lastFetchAt.getTime() + options.minIntervalMs;
        if (t < due) return { go: false, retryAt: due, reason: 'fetched moments ago' };
      }
      const target = targetKey(url);
      const running = slots.inFlight.get(target) ?? 0;
      if (running >= options.perTarget) {
        return {
          go: false,
          retryAt: t + BUSY_RETRY_MS * (1 + random()),
          reason: `${running} fetches from ${target} already running`,
          busy: true,
        };
      }
      const polling = poll && pollLimits !== undefined;
      const refused = polling ? pollRefusal(slots, pollLimits, target, t, random) : undefined;
      if (refused) return refused;
      const origin = new URL(url).origin;
      const admission = circuits.admit(origin);
      if (!admission.allowed)
        return { go: false, retryAt: admission.retryAt, reason: `circuit open for ${origin} after repeated failures` };

      takeSlot(slots, target, t, polling ? pollLimits : undefined);
      let released = false;
      return {
        go: true,
        pass: {
          release(healthy) {
            if (released) return;
            released = true;
            releaseSlot(slots, target, t, polling);
            circuits.record(origin, healthy);
          },
        },
      };
    },
  };
}

/** What the gate counts per target (see net/target-key.ts). */
interface Slots {
  inFlight: Map<string, number>;
  pollsInFlight: Map<string, number>;
  /** Start time of each target's latest poll; entries older than the spacing are dropped as they are passed. */
  lastPollStart: Map<string, number>;
  /** Start times of each target's fetches in flight, oldest first. */
  starts: Map<string, number[]>;
  /** The fetches waiting for one of a target's slots. */
  waiters: Map<string, Array<() => void>>;
}

/** Why a poll of `target` may not start at `t`, on top of the limits every fetch has. */
function pollRefusal(
  slots: Slots,
  limits: { perTarget: number; spacingMs: number },
  target: string,
  t: number,
  random: () => number,
): FetchAdmission | undefined {
  const polls = slots.pollsInFlight.get(target) ?? 0;
  if (polls >= limits.perTarget) {
    return { go: false, retryAt: t + BUSY_RETRY_MS * (1 + random()), reason: `${polls} polls of ${target} already running` };
  }
  const last = slots.lastPollStart.get(target);
  if (last !== undefined && t < last + limits.spacingMs) {
    return { go: false, retryAt: last + limits.spacingMs * (1 + random()), reason: `${target} was polled moments ago` };
  }
  return undefined;
}

/** Counts a fetch of `target` started at `t`; `pollLimits` when it is a poll. */
function takeSlot(slots: Slots, target: string, t: number, pollLimits: { spacingMs: number } | undefined): void {
  slots.inFlight.set(target, (slots.inFlight.get(target) ?? 0) + 1);
  const started = slots.starts.get(target) ?? [];
  started.push(t);
  slots.starts.set(target, started);
  if (pollLimits) {
    slots.pollsInFlight.set(target, (slots.pollsInFlight.get(target) ?? 0) + 1);
    if (pollLimits.spacingMs > 0) slots.lastPollStart.set(target, t);
    if (slots.lastPollStart.size > 10_000) {
      for (const [key, start] of slots.lastPollStart) if (t >= start + pollLimits.spacingMs) slots.lastPollStart.delete(key);
    }
  }
}

/** Uncounts the fetch of `target` started at `t`, and wakes the first fetch waiting for a slot of it. */
function releaseSlot(slots: Slots, target: string, t: number, polling: boolean): void {
  decrement(slots.inFlight, target);
  const started = slots.starts.get(target);
  started?.splice(started.indexOf(t), 1);
  if (started?.length === 0) slots.starts.delete(target);
  const queue = slots.waiters.get(target);
  queue?.shift()?.();
  if (queue?.length === 0) slots.waiters.delete(target);
  if (polling) decrement(slots.pollsInFlight, target);
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

/** Resolves true when a slot of `target` frees (releaseSlot wakes the first in line), false after `timeoutMs`. */
function waitInLine(waiters: Map<string, Array<() => void>>, target: string, timeoutMs: number): Promise<boolean> {
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
}
