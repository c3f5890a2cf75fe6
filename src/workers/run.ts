import type { Worker } from 'bullmq';
import type { Deps } from '../deps.js';
import { retryDelay } from './backoff.js';
import { createStatementBatches } from '../db/index.js';
import { createDeliverer } from './deliver.js';
import { fetchJob } from './fetch-job.js';
import { createFirstPageHandOver } from './hand-over.js';
import { startPollScheduler } from './poll-scheduler.js';
import { sweep } from './sweep.js';
import { verifyIntent } from './verify-intent.js';

const CLOSE_GRACE_MS = 5000;

export interface WorkerSet {
  close(): Promise<void>;
}

/** Starts the verify, fetch and deliver processors, the periodic sweep and (HUB_POLL) the poll scheduler. */
export function startWorkers(deps: Deps, options: { sweepIntervalMs?: number } = {}): WorkerSet {
  const backoff = (attempt: number) => retryDelay(attempt, deps.config.retryBaseMs);
  // Jobs running in this process, counted here so a drain knows when they are done.
  const inFlight = new Set<Promise<unknown>>();
  const tracked =
    <T, R>(processor: (job: T, token?: string) => Promise<R>) =>
    (job: T, token?: string): Promise<R> => {
      const running = processor(job, token);
      const settled = running.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return running;
    };
  // One set per process, so fetches and pages running side by side share their statements.
  const batches = createStatementBatches(deps.db.pool, { deliverPageSize: deps.config.deliverPageSize });
  const deliverer = createDeliverer(deps, batches);
  const handOver = createFirstPageHandOver(deps, deliverer);
  const workers: Worker[] = [
    deps.queues.work('verify', tracked(verifyIntent(deps)), { concurrency: 64, backoff }),
    deps.queues.work('fetch', tracked(fetchJob(deps, handOver, batches)), { concurrency: deps.config.fetchConcurrency, backoff }),
    deps.queues.work(
      'deliver',
      tracked((job: Parameters<typeof deliverer.process>[0], token?: string) => deliverer.process(job, token)),
      { concurrency: deps.config.deliverJobs, backoff },
    ),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, err) => deps.log.warn({ module: 'worker', queue: worker.name, jobId: job?.id, err }, 'job failed'));
  }
  let sweeping: Promise<void> = Promise.resolve();
  let swept = true;
  const timer = setInterval(() => {
    // One sweep at a time: during a queue outage a sweep waits for the backend, and they must not pile up.
    if (!swept) return;
    swept = false;
    sweeping = sweep(deps)
      .catch((err) => deps.log.warn({ module: 'sweep', err }, 'sweep failed'))
      .finally(() => {
        swept = true;
      });
  }, options.sweepIntervalMs ?? deps.config.sweepIntervalMs);
  timer.unref();
  const poller = deps.config.poll ? startPollScheduler(deps) : undefined;

  return {
    /**
     * Stops taking jobs and waits for those in flight (cli.ts bounds the whole
     * drain with HUB_SHUTDOWN_TIMEOUT_MS). After a Redis restart BullMQ's own
     * close can hang on an idle worker's blocking connection, so once our jobs
     * are done it gets CLOSE_GRACE_MS before its connections are dropped.
     */
    async close() {
      clearInterval(timer);
      await poller?.close();
      const closing = workers.map((w) => w.close().catch(() => undefined));
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), CLOSE_GRACE_MS).unref());
      const outcome = await Promise.race([Promise.all(closing), grace]);
      if (outcome === 'late') {
        deps.log.warn({ module: 'worker' }, 'queue workers did not close in time after their jobs finished; disconnecting them');
        // BullMQ 6.7's disconnect can wait forever for a connection still initialising; do not wait past another grace.
        const dropped = Promise.all(workers.map((w) => w.disconnect().catch(() => undefined)));
        await Promise.race([dropped, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
      }
      // A sweep waiting on an unreachable backend holds nothing that matters: it is repeated by the next process.
      await Promise.race([sweeping, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
    },
  };
}
