/**
 * How long until a topic is polled again, decided after each of its fetches.
 * Pure: the fetch job gathers the inputs, the database keeps the result.
 *
 * - Adaptive: a topic that changed is polled sooner (half the time it took to
 *   change, at most half the last interval), one that did not, later (x1.5).
 * - The publisher's word stretches it, never shortens it below the minimum:
 *   Cache-Control max-age / Expires, Retry-After on 429/503, RSS `<ttl>`,
 *   `sy:updatePeriod`/`sy:updateFrequency`.
 * - Errors back off exponentially from the minimum; after FAILING_AFTER
 *   failures in a row the topic is polled at the maximum and reported as failing.
 * - A topic whose ping brought new content has a working hook: it is polled at the
 *   maximum, as a safety net. A poll that finds content no ping announced counts a
 *   miss and puts the topic back on adaptive polling.
 */

import type { FetchSource } from '../queue/index.js';

// Re-exported for the fetch job, which reads it from here.
export type { FetchSource };

export type PollReason = 'new' | 'changes' | 'publisher' | 'backoff' | 'failing' | 'safety-net';

/** What the topic's schedule was before this fetch. */
export interface PollState {
  intervalSeconds: number | null;
  reason: PollReason | null;
  failures: number;
  lastChangeAt: Date | null;
}

/** What the publisher said about when to come back, in seconds from now (undefined: nothing said). */
export interface PublisherHints {
  /** Cache-Control max-age or Expires. */
  freshSeconds?: number;
  /** Retry-After on a 429 or 503. */
  retryAfterSeconds?: number;
  /** RSS ttl or the syndication module's period / frequency. */
  feedRefreshSeconds?: number;
}

export interface FetchOutcomeForPoll {
  source: FetchSource;
  /** changed: new or updated content was found; unchanged: 304 or nothing new; failed: an error. */
  result: 'changed' | 'unchanged' | 'failed';
  hints: PublisherHints;
  /** The topic has been pinged at least once: a change found by a poll is then one its pings missed. */
  pinged: boolean;
}

export interface PollBounds {
  minSeconds: number;
  maxSeconds: number;
}

export interface PollDecision {
  intervalSeconds: number;
  reason: PollReason;
  failures: number;
  /** This fetch was a poll that found content the topic's pings should have announced. */
  missedByPing: boolean;
}

/** Failures in a row after which a topic is polled at the maximum and shown as failing. */
export const FAILING_AFTER = 8;

const clamp = (seconds: number, b: PollBounds) => Math.round(Math.min(b.maxSeconds, Math.max(b.minSeconds, seconds)));

export function nextPollInterval(state: PollState, outcome: FetchOutcomeForPoll, bounds: PollBounds, now: Date): PollDecision {
  const { hints } = outcome;
  if (outcome.result === 'failed') {
    const failures = state.failures + 1;
    if (failures >= FAILING_AFTER) return { intervalSeconds: bounds.maxSeconds, reason: 'failing', failures, missedByPing: false };
    const backoff = bounds.minSeconds * 2 ** (failures - 1);
    return {
      intervalSeconds: clamp(Math.max(backoff, hints.retryAfterSeconds ?? 0), bounds),
      reason: 'backoff',
      failures,
      missedByPing: false,
    };
  }

  const missedByPing = outcome.source === 'poll' && outcome.result === 'changed' && outcome.pinged;
  if (outcome.source === 'ping' && outcome.result === 'changed') {
    return { intervalSeconds: bounds.maxSeconds, reason: 'safety-net', failures: 0, missedByPing };
  }
  if (state.reason === 'safety-net' && !missedByPing) {
    return { intervalSeconds: bounds.maxSeconds, reason: 'safety-net', failures: 0, missedByPing };
  }

  const previous = state.intervalSeconds ?? bounds.minSeconds;
  let adaptive: number;
  if (outcome.result === 'changed') {
    const gap = state.lastChangeAt ? (now.getTime() - state.lastChangeAt.getTime()) / 1000 : previous;
    adaptive = clamp(Math.min(previous, gap) / 2, bounds);
  } else {
    adaptive = clamp(previous * 1.5, bounds);
  }
  const publisher = Math.max(hints.freshSeconds ?? 0, hints.feedRefreshSeconds ?? 0, hints.retryAfterSeconds ?? 0);
  if (publisher > adaptive) return { intervalSeconds: clamp(publisher, bounds), reason: 'publisher', failures: 0, missedByPing };
  return { intervalSeconds: adaptive, reason: 'changes', failures: 0, missedByPing };
}

/** The moment of the next poll: the interval spread by +-10% so topics that fell due together drift apart. */
export function nextPollAt(now: Date, intervalSeconds: number, random: () => number = Math.random): Date {
  return new Date(now.getTime() + intervalSeconds * 1000 * (0.9 + 0.2 * random()));
}
