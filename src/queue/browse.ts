import type { Job, Queue } from 'bullmq';

/** The states the console lists jobs of; `waiting` includes prioritized jobs, as the counts do. */
export const BROWSABLE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type BrowsableState = (typeof BROWSABLE_STATES)[number];

/** Longest job data shown, in characters: a page of deliveries is short, and nobody reads more in a table. */
const DATA_SHOWN = 500;

/** What the console shows of a job: plain values, for templates that escape them (the data and the error come from strangers). */
export interface JobSummary {
  id: string;
  name: string;
  /** The job's data as JSON, cut at DATA_SHOWN characters. */
  data: string;
  createdAt: Date;
  processedAt: Date | undefined;
  finishedAt: Date | undefined;
  attempts: number;
  failedReason: string | undefined;
}

/**
 * The newest `limit` jobs of a queue in one state, newest first. Both
 * backends (Redis and BullMQ's PostgreSQL backend) answer getJobs with a
 * range per state; a job removed between the range and its read is skipped.
 */
export async function recentJobs(queue: Pick<Queue, 'getJobs'>, state: BrowsableState, limit: number): Promise<JobSummary[]> {
  const states = state === 'waiting' ? (['waiting', 'prioritized'] as const) : [state];
  const jobs = (await queue.getJobs([...states], 0, limit - 1, false)).filter((job): job is Job => Boolean(job));
  return jobs
    .sort((a, b) => b.timestamp - a.timestamp)
    .slice(0, limit)
    .map(summary);
}

function summary(job: Job): JobSummary {
  const data = JSON.stringify(job.data) ?? '';
  return {
    id: job.id ?? '',
    name: job.name,
    data: data.length > DATA_SHOWN ? `${data.slice(0, DATA_SHOWN)}…` : data,
    createdAt: new Date(job.timestamp),
    processedAt: job.processedOn ? new Date(job.processedOn) : undefined,
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
    attempts: job.attemptsMade,
    failedReason: job.failedReason || undefined,
  };
}
