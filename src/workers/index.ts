export { startWorkers } from './run.js';
export type { WorkerSet } from './run.js';
export { sweep } from './sweep.js';
export { retryDelay } from './backoff.js';
