export { createQueues, jobIds, QUEUE_NAMES } from './queues.js';
export type { Queues, JobData, QueueName } from './queues.js';
export { startWorkers } from './run.js';
export type { WorkerSet } from './run.js';
export { enqueueFetch, enqueueVerify, sweep } from './sweep.js';
export { sign } from './signature.js';
export type { SignatureAlgorithm } from './signature.js';
export { retryDelay } from './backoff.js';
export { withQuery } from './callback-url.js';
