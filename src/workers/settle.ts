import type { Deps } from '../deps.js';
import {
  deleteSubscriptionById,
  markNotificationEnqueued,
  recordDeliveries,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryTarget,
  type StatementBatches,
} from '../db/index.js';
import { enqueueRetries, type RetrySpec } from '../queue/index.js';
import { decideOutcome, type AttemptOutcome, type AttemptResult } from './delivery-outcome.js';

/** One notification's attempt at one subscriber, as a page or a retry job made it. */
export interface SettleInput {
  notificationId: number;
  target: DeliveryTarget;
  result: AttemptResult;
  /** This attempt's number (a page's is 1). */
  attempt: number;
  /** Postponements before this one (a retry job's `deferred`). */
  deferred?: number;
  /** The delivery has a `deliveries` row (a retry job's): a success brings it up to date. */
  hasRow?: boolean;
  /** A replay's time of asking: its retries stay the replay's. */
  replay?: number;
}

/** What an attempt leaves to store and queue. */
export interface Settled {
  subscriptionId: number;
  outcome: AttemptOutcome;
  /** The subscription's latest outcome (undefined when it ended). */
  summary?: DeliveryOutcome;
  /** The `deliveries` row, for a delivery that did not succeed at its first attempt. */
  record?: DeliveryRecord;
  retry?: RetrySpec;
}

/** Counts an outcome in the delivery metrics. */
export function countOutcome(metrics: Deps['metrics'], outcome: AttemptOutcome): void {
  const counter = { delivered: 'delivered', retry: 'retrying', postponed: 'deferred', dropped: 'dropped', ended: 'gone' } as const;
  metrics.delivery[counter[outcome.kind]].inc();
}

export interface Settlement {
  /** Decides what an attempt came to (delivery-outcome.ts) and what it leaves to store and queue; counts it. */
  settle(input: SettleInput): Settled;
  /**
   * Stores and queues what a page's (or a retry's) attempts left. `handOver`: the page is a notification's
   * first, delivered in its fetch job, and the notification is marked handed over once all of it is stored.
   */
  record(input: { notificationId: number; settled: Settled[]; handOver?: boolean }): Promise<void>;
}

/** Settles page and retry attempts: their outcomes, `deliveries` rows, retry jobs and 410s. */
export function createSettlement(deps: Deps, batches: StatementBatches): Settlement {
  function settle({ notificationId, target, result, attempt, deferred = 0, hasRow = false, replay }: SettleInput): Settled {
    const now = Date.now();
    const policy = { maxAttempts: deps.config.maxAttempts, retryBaseMs: deps.config.retryBaseMs };
    const outcome = decideOutcome({ result, attempt, policy, now });
    countOutcome(deps.metrics, outcome);
    const subscriptionId = target.id;
    if (outcome.kind === 'ended') return { subscriptionId, outcome };
    const row = {
      notificationId,
      subscriptionId,
      attempts: outcome.attempts,
      signatureAlgorithm: target.secret ? (target.signatureAlgorithm ?? deps.config.signatureAlgorithm) : null,
    };
    if (outcome.kind === 'delivered') {
      const summary: DeliveryOutcome = { subscriptionId, status: 'delivered', error: null, nextRetryAt: null };
      // A retry job's delivery has a row (even a first attempt, after a postponement): it is brought up to date.
      const record: DeliveryRecord | undefined =
        attempt > 1 || hasRow ? { ...row, status: 'delivered', lastStatusCode: null, lastError: null, nextAttemptAt: null } : undefined;
      return { subscriptionId, outcome, summary, record };
    }
    const status = outcome.kind === 'dropped' ? 'dropped' : 'retrying';
    const at = outcome.kind === 'retry' ? outcome.at : outcome.kind === 'postponed' ? outcome.until : undefined;
    const nextAttemptAt = at === undefined ? null : new Date(at);
    const statusCode = outcome.kind === 'postponed' ? null : outcome.statusCode;
    const summary: DeliveryOutcome = { subscriptionId, status, error: outcome.error, nextRetryAt: nextAttemptAt };
    const record: DeliveryRecord = { ...row, status, lastStatusCode: statusCode, lastError: outcome.error, nextAttemptAt };
    const job = { notificationId, subscriptionId, replay, delay: at === undefined ? 0 : at - now };
    // A postponed attempt goes again under its own number, a `-d<n>` job id apart.
    const retry: RetrySpec | undefined =
      outcome.kind === 'retry'
        ? { ...job, attempt: outcome.nextAttempt }
        : outcome.kind === 'postponed'
          ? { ...job, attempt, deferred: deferred + 1 }
          : undefined;
    return { subscriptionId, outcome, summary, record, retry };
  }

  async function record({ notificationId, settled, handOver = false }: Parameters<Settlement['record']>[0]): Promise<void> {
    const summaries = settled.flatMap((s) => (s.summary ? [s.summary] : []));
    const records = settled.flatMap((s) => (s.record ? [s.record] : []));
    const retries = settled.flatMap((s) => (s.retry ? [s.retry] : []));
    const gone = settled.filter((s) => s.outcome.kind === 'ended').map((s) => s.subscriptionId);
    const counts = {
      delivered: settled.filter((s) => s.outcome.kind === 'delivered').length,
      failed: settled.filter((s) => s.outcome.kind !== 'postponed' && s.outcome.kind !== 'delivered').length,
    };
    // A first page is handed over only once everything it leaves behind is stored and queued:
    // with nothing more to do, in the outcomes' own statement; otherwise after the retries are queued.
    const handOverNow = handOver && retries.length === 0 && records.length === 0 && gone.length === 0;
    // The per-delivery rows first: a subscription's summary never points at a row not yet written.
    await recordDeliveries(deps.db.pool, records);
    await batches.pageOutcomes({ outcomes: summaries, handedOverNotificationId: handOverNow ? notificationId : undefined, counts });
    // WebSub §7 (H22): 410 Gone ends the subscription.
    for (const id of gone) await deleteSubscriptionById(deps.db.pool, id);
    await enqueueRetries(deps.queues, retries);
    if (handOver && !handOverNow) await markNotificationEnqueued(deps.db.pool, notificationId);
  }

  return { settle, record };
}
