import { DelayedError, type Job } from 'bullmq';
import type { Deps } from '../deps.js';
import {
  clearPendingInitial,
  deleteSubscriptionById,
  findSubscriptionById,
  readLatestUpdates,
  type StatementBatches,
  type Subscription,
} from '../db/index.js';
import { renderHistoryAsync } from '../feeds/index.js';
import { decideOutcome, endedBeforeAttempt, type AttemptResult } from './delivery-outcome.js';
import { countOutcome } from './settle.js';
import { enqueueFetches, type DeliverInitial } from '../queue/index.js';

type PendingInitial = { subscriptionId: number; requestedAt: Date };

/** How long an initial delivery waits for the first fetch of a topic the hub had never fetched, and how often it looks. */
const FIRST_FETCH_WAIT_MS = 60_000;
const FIRST_FETCH_RECHECK_MS = 500;

/** What the initial delivery borrows from the deliverer: its signed POST (slots, circuits, pauses) and Link header. */
export interface InitialDeliveryIo {
  send(sub: Subscription, body: Buffer, headers: Record<string, string>): Promise<AttemptResult>;
  link(topicUrl: string): string;
}

/**
 * crier.initial: one delivery of the topic's latest entries, right after verification. A topic the hub
 * never fetched is fetched first (the job waits for it, up to FIRST_FETCH_WAIT_MS). An empty log sends
 * nothing. Retried by BullMQ (the job's attempts and backoff); an open circuit or a paused host postpones it.
 * What an attempt comes to is decided in delivery-outcome.ts, as for every other delivery.
 */
export function createInitialDelivery(deps: Deps, batches: StatementBatches, io: InitialDeliveryIo) {
  const log = deps.log.child({ module: 'deliver' });

  async function runInitial(job: Job, data: DeliverInitial, token?: string): Promise<void> {
    const pending: PendingInitial = { subscriptionId: data.subscriptionId, requestedAt: new Date(data.requestedAt) };
    const sub = await findSubscriptionById(deps.db.pool, data.subscriptionId);
    // Delivered, given up or superseded by a renewal's newer request (whose own job sends it).
    if (!sub || sub.initialCount === null || sub.initialRequestedAt?.getTime() !== data.requestedAt) return;
    if (endedBeforeAttempt({ expiresAt: sub.expiresAt, now: Date.now() })) return clearPendingInitial(deps.db.pool, pending);
    const [entries, found] = await Promise.all([
      readLatestUpdates(deps.db.pool, sub.topicId, sub.initialCount),
      batches.topicForFetch(sub.topicId),
    ]);
    if (entries.length === 0) {
      // w3c/websub#174: a subscriber reading the feed, then subscribing, misses nothing: the first fetch comes first.
      if (found && found.topic.lastFetchAt === null && Date.now() - data.requestedAt < FIRST_FETCH_WAIT_MS) {
        if (!data.fetchAsked) {
          await enqueueFetches(deps.queues, [sub.topicId]);
          await job.updateData({ ...data, fetchAsked: true });
        }
        await job.moveToDelayed(Date.now() + FIRST_FETCH_RECHECK_MS, token);
        throw new DelayedError();
      }
      log.info({ jobId: job.id, subscriptionId: sub.id }, 'initial delivery skipped: the topic has no entries in its log');
      return clearPendingInitial(deps.db.pool, pending);
    }
    const topicUrl = entries[0].topicUrl;
    const doc = await renderHistoryAsync(entries, sub.initialCount, sub.format, topicUrl);
    const headers: Record<string, string> = {
      'content-type': doc.contentType,
      link: io.link(topicUrl),
      'x-hub-delivery': `initial-${sub.id}-${data.requestedAt}`,
      'x-crier-initial': '1',
    };
    if (doc.newestSeq !== undefined) headers['x-crier-seq'] = String(doc.newestSeq);
    const result = await io.send(sub, doc.body, headers);
    await settleInitial(job, pending, result, token);
  }

  /**
   * Acts on the attempt's outcome. Its attempts are the job's (BullMQ's attempts and backoff): a retry throws,
   * a postponement delays the job without spending one.
   */
  async function settleInitial(job: Job, pending: PendingInitial, result: AttemptResult, token?: string): Promise<void> {
    const { subscriptionId } = pending;
    const ctx = { jobId: job.id, subscriptionId };
    const attempt = job.attemptsMade + 1;
    const policy = { maxAttempts: job.opts.attempts ?? 1, retryBaseMs: deps.config.retryBaseMs };
    const outcome = decideOutcome({ result, attempt, policy, now: Date.now() });
    countOutcome(deps.metrics, outcome);
    switch (outcome.kind) {
      case 'postponed':
        await job.moveToDelayed(outcome.until, token);
        throw new DelayedError();
      case 'ended':
        await deleteSubscriptionById(deps.db.pool, subscriptionId);
        log.info({ ...ctx, ok: false, attempt }, 'initial delivery done');
        return;
      case 'delivered':
        await batches.pageOutcomes({
          outcomes: [{ subscriptionId, status: 'delivered', error: null, nextRetryAt: null }],
          counts: { delivered: 1, failed: 0 },
        });
        await clearPendingInitial(deps.db.pool, pending);
        log.info({ ...ctx, ok: true, attempt }, 'initial delivery done');
        return;
    }
    // BullMQ's backoff times the retry, so no next retry time is stored.
    const status = outcome.kind === 'dropped' ? 'dropped' : 'retrying';
    await batches.pageOutcomes({
      outcomes: [{ subscriptionId, status, error: outcome.error, nextRetryAt: null }],
      counts: { delivered: 0, failed: 1 },
    });
    if (outcome.kind === 'retry') throw new Error(`initial delivery: ${outcome.error}`);
    log.warn({ ...ctx, err: outcome.error }, 'initial delivery dropped after its last attempt');
    return clearPendingInitial(deps.db.pool, pending);
  }

  return runInitial;
}
