export { startWorkers } from './run.js';
export type { WorkerSet } from './run.js';
export { sweep } from './sweep.js';
export { sign } from './signature.js';
export { retryDelay } from './backoff.js';
export { withQuery } from './callback-url.js';
export { createVerifier } from './verify-intent.js';
export type { Verdict } from './verify-intent.js';
