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
import type { AttemptResult } from './attempt-result.js';
import { enqueueFetches, type DeliverInitial } from '../queue/index.js';

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
 */
export function createInitialDelivery(deps: Deps, batches: StatementBatches, io: InitialDeliveryIo) {
  const log = deps.log.child({ module: 'deliver' });
  const { metrics } = deps;
  return async function runInitial(job: Job, data: DeliverInitial, token?: string): Promise<void> {
    const pending = { subscriptionId: data.subscriptionId, requestedAt: new Date(data.requestedAt) };
    const sub = await findSubscriptionById(deps.db.pool, data.subscriptionId);
    // Delivered, given up or superseded by a renewal's newer request (whose own job sends it).
    if (!sub || sub.initialCount === null || sub.initialRequestedAt?.getTime() !== data.requestedAt) return;
    const ctx = { jobId: job.id, subscriptionId: sub.id };
    if (sub.expiresAt.getTime() <= Date.now()) return clearPendingInitial(deps.db.pool, pending);
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
      log.info(ctx, 'initial delivery skipped: the topic has no entries in its log');
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
    if (!result.ok && 'deferred' in result) {
      metrics.delivery.deferred.inc();
      await job.moveToDelayed(result.retryAt + Math.floor(Math.random() * 1000), token);
      throw new DelayedError();
    }
    if (result.ok || result.gone) {
      metrics.delivery[result.ok ? 'delivered' : 'gone'].inc();
      if (!result.ok) await deleteSubscriptionById(deps.db.pool, sub.id);
      else {
        const outcome = { subscriptionId: sub.id, status: 'delivered' as const, error: null, nextRetryAt: null };
        await batches.pageOutcomes({ outcomes: [outcome], counts: { delivered: 1, failed: 0 } });
        await clearPendingInitial(deps.db.pool, pending);
      }
      log.info({ ...ctx, ok: result.ok, attempt: job.attemptsMade + 1 }, 'initial delivery done');
      return;
    }
    const exhausted = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const status = exhausted ? 'dropped' : 'retrying';
    metrics.delivery[status].inc();
    await batches.pageOutcomes({
      outcomes: [{ subscriptionId: sub.id, status, error: result.error, nextRetryAt: null }],
      counts: { delivered: 0, failed: 1 },
    });
    if (exhausted) {
      log.warn({ ...ctx, err: result.error }, 'initial delivery dropped after its last attempt');
      return clearPendingInitial(deps.db.pool, pending);
    }
    throw new Error(`initial delivery: ${result.error}`);
  };
}
