/** What asked for a fetch; also the fetch metrics' `source` label (a closed set). */
export const FETCH_SOURCES = ['ping', 'poll', 'subscribe'] as const;
export type FetchSource = (typeof FETCH_SOURCES)[number];

/** The queues and what their jobs carry: ids only, never rows or secrets. */
export type JobData = {
  /** One intent (a retry, or re-enqueued by the sweep) or a batch of fresh ones. */
  verify: { intentId: number } | { intentIds: number[] };
  /** The job carries no source: the fetch job reads it from the topic's row (docs/jobs.md, fetch). */
  fetch: { topicId: number };
  deliver: DeliverPage | DeliverRetry | DeliverInitial;
};
export type QueueName = keyof JobData;
export const QUEUE_NAMES: QueueName[] = ['verify', 'fetch', 'deliver'];

/** One keyset page of a notification's subscribers. */
export type DeliverPage = { kind: 'page'; notificationId: number; afterId: number };
/**
 * One subscriber's next attempt after a failed delivery; `deferred` counts postponements by an open circuit or a
 * paused host (not attempts).
 */
export type DeliverRetry = {
  kind: 'retry';
  notificationId: number;
  subscriptionId: number;
  attempt: number;
  deferred?: number;
  /** A replay's (hub.mode=replay) attempts: when it was asked for (ms), which also keeps its job ids its own. */
  replay?: number;
};
/**
 * The one crier.initial delivery a subscription is owed after its verification; `requestedAt` (ms) is the
 * subscription's `initial_requested_at`, so a renewal's newer request supersedes it. `fetchAsked`: the topic
 * had never been fetched and this job queued its first fetch.
 */
export type DeliverInitial = { kind: 'initial'; subscriptionId: number; requestedAt: number; fetchAsked?: boolean };

/** Job ids make re-enqueueing idempotent (BullMQ ids may not contain ':'). */
export const jobIds = {
  verify: (intentId: number) => `verify-${intentId}`,
  verifyBatch: (firstIntentId: number) => `verifyb-${firstIntentId}`,
  fetch: (topicId: number) => `fetch-${topicId}`,
  page: (notificationId: number, afterId: number) => `page-${notificationId}-${afterId}`,
  retry: (notificationId: number, subscriptionId: number, attempt: number, deferred = 0, replay?: number) =>
    `retry-${notificationId}-${subscriptionId}-${attempt}${deferred > 0 ? `-d${deferred}` : ''}${replay ? `-r${replay}` : ''}`,
  initial: (subscriptionId: number, requestedAt: number) => `initial-${subscriptionId}-${requestedAt}`,
  /** An operator's retry: its own id, so it runs even while a scheduled retry of the same delivery waits. */
  manualRetry: (notificationId: number, subscriptionId: number, at: number) => `retry-${notificationId}-${subscriptionId}-now${at}`,
};
