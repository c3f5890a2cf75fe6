import { countJobs, DEPTH_STATES, QUEUE_NAMES, withTimeout, type Queues, type QueueName } from '../queue/index.js';
import type { Metrics } from './registry.js';

/** A scrape must answer even while the queue backend does not: past this, the queue series are left out. */
const SCRAPE_TIMEOUT_MS = 2000;

/**
 * Queue depth and the age of the oldest waiting job, read from the backend at
 * scrape time (a few reads per queue per scrape, nothing on the job paths).
 * A failed or slow read removes the queue series for that scrape rather than
 * showing stale numbers.
 */
export function watchQueues(metrics: Metrics, queues: Pick<Queues, QueueName>): void {
  metrics.onScrape(async () => {
    await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const queue = queues[name];
        try {
          const [counts, oldest] = await withTimeout(
            Promise.all([countJobs(queue), queue.getJobs(['waiting'], 0, 0, true)]),
            SCRAPE_TIMEOUT_MS,
            'queue backend too slow for a scrape',
          );
          for (const state of DEPTH_STATES) metrics.queueJobs.set({ queue: name, state }, counts[state]);
          const job = oldest[0];
          // A job becomes due after its delay; its age is counted from then.
          const due = job ? job.timestamp + (job.opts?.delay ?? 0) : Date.now();
          metrics.queueOldestWaiting.set({ queue: name }, Math.max(0, (Date.now() - due) / 1000));
        } catch {
          for (const state of DEPTH_STATES) metrics.queueJobs.remove({ queue: name, state });
          metrics.queueOldestWaiting.remove({ queue: name });
        }
      }),
    );
  });
}
