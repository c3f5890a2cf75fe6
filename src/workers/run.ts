import type { Worker } from 'bullmq';
import type { Deps } from '../deps.js';
import { retryDelay } from './backoff.js';
import { deliver } from './deliver.js';
import { fetchTopic } from './fetch-topic.js';
import { sweep } from './sweep.js';
import { verifyIntent } from './verify-intent.js';

export interface WorkerSet {
  close(): Promise<void>;
}

/** Starts the verify, fetch and deliver processors and the periodic sweep. */
export function startWorkers(deps: Deps, options: { sweepIntervalMs?: number } = {}): WorkerSet {
  const backoff = (attempt: number) => retryDelay(attempt, deps.config.retryBaseMs);
  const workers: Worker[] = [
    deps.queues.work('verify', verifyIntent(deps), { concurrency: 64, backoff }),
    deps.queues.work('fetch', fetchTopic(deps), { concurrency: 16, backoff }),
    deps.queues.work('deliver', deliver(deps), { concurrency: 8, backoff }),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, err) => deps.log.warn({ module: 'worker', queue: worker.name, jobId: job?.id, err: err.message }, 'job failed'));
  }
  let sweeping: Promise<void> = Promise.resolve();
  let swept = true;
  const timer = setInterval(() => {
    // One sweep at a time: during a queue outage a sweep waits for the backend, and they must not pile up.
    if (!swept) return;
    swept = false;
    sweeping = sweep(deps)
      .catch((err) => deps.log.warn({ module: 'sweep', err: (err as Error).message }, 'sweep failed'))
      .finally(() => {
        swept = true;
      });
  }, options.sweepIntervalMs ?? 15_000);
  timer.unref();

  return {
    /** Stops taking jobs and waits for those in flight. */
    async close() {
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close()));
      await sweeping;
    },
  };
}
