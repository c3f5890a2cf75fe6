import { bounded } from './bounded.js';
import { jobIds, type DeliverRetry } from './jobs.js';
import type { Queues } from './queues.js';

/** Queues the page of a notification's subscribers after `afterId`; its job id makes a repeat a no-op. */
export async function enqueuePage(queues: Pick<Queues, 'deliver'>, notificationId: number, afterId: number): Promise<void> {
  await queues.deliver.add('page', { kind: 'page', notificationId, afterId }, { jobId: jobIds.page(notificationId, afterId) });
}

/** One subscriber's next attempt at one notification, as a retry job is queued. */
export interface RetrySpec {
  notificationId: number;
  subscriptionId: number;
  /** The attempt this job makes (1 for the first). */
  attempt: number;
  /** Postponements so far (open circuit, paused host), which are not attempts. */
  deferred?: number;
  /** A replay's (hub.mode=replay) time of asking (ms). */
  replay?: number;
  /** Milliseconds to wait before it runs. */
  delay?: number;
  /** An operator's retry, asked at this time (ms): its own job id, so it runs even while a scheduled retry waits. */
  manualAt?: number;
}

/** The deliver queue's `retry` job for `spec`: its payload and its job id, which makes a repeat a no-op. */
export function retryJob({ notificationId, subscriptionId, attempt, deferred, replay, delay, manualAt }: RetrySpec) {
  const data: DeliverRetry = { kind: 'retry', notificationId, subscriptionId, attempt };
  if (deferred) data.deferred = deferred;
  if (replay) data.replay = replay;
  const jobId =
    manualAt === undefined
      ? jobIds.retry(notificationId, subscriptionId, attempt, deferred, replay)
      : jobIds.manualRetry(notificationId, subscriptionId, manualAt);
  return { name: 'retry', data, opts: delay === undefined ? { jobId } : { delay, jobId } };
}

/** Queues retry jobs in one call to the queue backend. */
export async function enqueueRetries(queues: Pick<Queues, 'deliver'>, specs: RetrySpec[]): Promise<void> {
  if (specs.length === 0) return;
  await queues.deliver.addBulk(specs.map(retryJob));
}

/**
 * Queues pending crier.initial deliveries (one job each, retried by BullMQ like a verification); the job id
 * makes a repeat (the sweep's) a no-op.
 */
export async function enqueueInitials(
  queues: Pick<Queues, 'deliver'>,
  pending: Array<{ subscriptionId: number; requestedAt: Date }>,
  maxAttempts: number,
): Promise<void> {
  if (pending.length === 0) return;
  await queues.deliver.addBulk(
    pending.map(({ subscriptionId, requestedAt }) => ({
      name: 'initial',
      data: { kind: 'initial' as const, subscriptionId, requestedAt: requestedAt.getTime() },
      opts: { jobId: jobIds.initial(subscriptionId, requestedAt.getTime()), attempts: maxAttempts, backoff: { type: 'crier' } },
    })),
  );
}

/**
 * One fetch per topic at a time; a ping during a fetch queues exactly one more
 * (no update missed). One call to the queue backend for all of a ping's topics.
 */
export async function enqueueFetches(queues: Pick<Queues, 'fetch'>, topicIds: number[]): Promise<void> {
  if (topicIds.length === 0) return;
  const jobs = topicIds.map((topicId) => ({
    name: 'fetch',
    data: { topicId },
    opts: { deduplication: { id: jobIds.fetch(topicId), keepLastIfActive: true } },
  }));
  await bounded(
    queues.fetch.addBulk(jobs),
    topicIds.length === 1 ? `fetch of topic ${topicIds[0]}` : `fetches of ${topicIds.length} topics`,
  );
}
