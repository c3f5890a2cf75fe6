import type { Queue } from 'bullmq';
import { QUEUE_NAMES, type QueueName } from './jobs.js';
import type { Queues } from './queues.js';

/**
 * The one list of job states Crier counts. BullMQ keeps a job added with a
 * priority in a set of its own, and its `waiting` count leaves those out:
 * a page that shows one "waiting" column adds `prioritized` to it.
 */
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobCounts = Record<JobState, number>;

/** The states of a queue's depth, as `/admin/status` and the `crier_queue_jobs` metric report them. */
export const DEPTH_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const satisfies readonly JobState[];

/** A queue's job count in every state (0 where the backend has none). */
export async function countJobs(queue: Pick<Queue, 'getJobCounts'>): Promise<JobCounts> {
  const counts = await queue.getJobCounts(...JOB_STATES);
  return Object.fromEntries(JOB_STATES.map((state) => [state, counts[state] ?? 0])) as JobCounts;
}

export type QueueCounts = { name: QueueName; counts: JobCounts; error?: undefined } | { name: QueueName; counts?: undefined; error: Error };

/** Every queue's counts, each read on its own: a queue that cannot answer carries its error, the others their counts. */
export function countQueues(queues: Pick<Queues, QueueName>): Promise<QueueCounts[]> {
  return Promise.all(
    QUEUE_NAMES.map((name) =>
      countJobs(queues[name]).then(
        (counts): QueueCounts => ({ name, counts }),
        (err: Error): QueueCounts => ({ name, error: err }),
      ),
    ),
  );
}
