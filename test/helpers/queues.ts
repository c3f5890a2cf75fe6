import type { Queue } from 'bullmq';

/** Job states in which a job still has work to do (or is doing it). */
const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * True when no job of `queues` is waiting, delayed or running: whatever was asked of them has been done.
 * The positive signal that lets a test assert something did NOT happen (a second fetch, a duplicate
 * delivery) without sleeping: a job that would do it is still counted here until it has.
 */
export async function queuesIdle(queues: Queue[]): Promise<boolean> {
  for (const queue of queues) {
    const counts = await queue.getJobCounts(...UNFINISHED);
    if (UNFINISHED.some((state) => (counts[state] ?? 0) > 0)) return false;
  }
  return true;
}
