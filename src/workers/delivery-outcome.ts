import { retryDelay } from './backoff.js';

/** What one signed POST to a callback came to (callback-sender.ts makes it). */
export type AttemptResult =
  | { ok: true }
  | { ok: false; gone: boolean; status: number | null; error: string }
  /** Not attempted: the origin's circuit is open, or an operator paused its host, until `retryAt`. */
  | { ok: false; deferred: true; retryAt: number; error: string };

/** How often a delivery is tried and how far apart (HUB_MAX_ATTEMPTS, HUB_RETRY_BASE_MS). */
export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
}

/**
 * What a delivery comes to, whichever kind it is (page, retry, replay, crier.initial). `attempts` is how many
 * attempts it has spent; times are milliseconds since the epoch.
 */
export type AttemptOutcome =
  | { kind: 'delivered'; attempts: number }
  /** Failed; attempt number `nextAttempt` goes out at `at`. */
  | { kind: 'retry'; at: number; nextAttempt: number; attempts: number; statusCode: number | null; error: string }
  /** Not attempted (open circuit, paused host): the same attempt goes out at `until`, none spent. */
  | { kind: 'postponed'; until: number; attempts: number; error: string }
  /** Failed its last attempt: nothing more is sent. */
  | { kind: 'dropped'; attempts: number; statusCode: number | null; error: string }
  /** The subscription ended: a 410 Gone (it is deleted), or its lease expired before an attempt. */
  | { kind: 'ended'; reason: 'gone' | 'expired' };

export interface OutcomeInput {
  result: AttemptResult;
  /** This attempt's number, 1 for the first; postponements do not count. */
  attempt: number;
  policy: RetryPolicy;
  now: number;
  /** Jitter source, for backoff and postponements; tests pin it. */
  random?: () => number;
}

/** Spread over this much so the deliveries a circuit held back do not all go out at its retry time. */
const POSTPONE_JITTER_MS = 1000;

/** What an attempt's result means. Pure: the caller records and queues what it says. */
export function decideOutcome({ result, attempt, policy, now, random = Math.random }: OutcomeInput): AttemptOutcome {
  if (result.ok) return { kind: 'delivered', attempts: attempt };
  if ('deferred' in result) {
    // An open circuit or a paused host delays without spending an attempt; the lease still bounds how long.
    const until = Math.max(now, result.retryAt) + Math.floor(random() * POSTPONE_JITTER_MS);
    return { kind: 'postponed', until, attempts: attempt - 1, error: result.error };
  }
  // WebSub §7 (H22): 410 Gone ends the subscription.
  if (result.gone) return { kind: 'ended', reason: 'gone' };
  const failed = { attempts: attempt, statusCode: result.status, error: result.error };
  if (attempt >= policy.maxAttempts) return { kind: 'dropped', ...failed };
  return { kind: 'retry', at: now + retryDelay(attempt, policy.retryBaseMs, random), nextAttempt: attempt + 1, ...failed };
}

/**
 * Before a retry's or an initial delivery's attempt: WebSub §7 (H23), keep trying only while the subscription
 * lives. Undefined when it does.
 */
export function endedBeforeAttempt({
  expiresAt,
  now,
}: {
  expiresAt: Date;
  now: number;
}): Extract<AttemptOutcome, { kind: 'ended' }> | undefined {
  return expiresAt.getTime() <= now ? { kind: 'ended', reason: 'expired' } : undefined;
}
