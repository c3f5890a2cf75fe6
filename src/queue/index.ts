export { FETCH_SOURCES, jobIds, QUEUE_NAMES } from './jobs.js';
export type { FetchSource, JobData, QueueName, DeliverPage, DeliverRetry, DeliverInitial } from './jobs.js';
export { createQueues, defaultJobOptions } from './queues.js';
export type { Queues } from './queues.js';
export { enqueueFetches, enqueueInitials, enqueuePage, enqueueRetries, retryJob } from './enqueue.js';
export type { RetrySpec } from './enqueue.js';
export { bounded, ENQUEUE_TIMEOUT_MS } from './bounded.js';
export { createVerifyBatcher } from './verify-batcher.js';
export type { VerifyBatcher } from './verify-batcher.js';
