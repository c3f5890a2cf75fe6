import type { Job } from 'bullmq';
import type { Deps } from '../deps.js';
import { findIntentsByIds, type Intent } from '../db/index.js';
import { jobIds, type JobData } from '../queue/index.js';
import { createVerifier } from '../verification/index.js';
import { retryDelay } from './backoff.js';

/**
 * Attempts at most (the batch's first one, then its own job's) for a verification whose callback never
 * answered HTTP at all: a host that refuses or drops connections is more
 * likely a victim named by someone else than a subscriber having a bad
 * minute, so the hub knocks three times, not HUB_MAX_ATTEMPTS times.
 */
const UNANSWERED_ATTEMPTS = 3;

/**
 * The verify job (WebSub §5.3, src/verification/ decides and records): a batch
 * job verifies many intents at once and writes their outcomes in a few
 * statements; a single-intent job is a retry (BullMQ's attempts).
 */
export function verifyIntent(deps: Deps) {
  const { check, apply } = createVerifier(deps);
  return async (job: Job<JobData['verify']>): Promise<void> => {
    const ids = 'intentIds' in job.data ? job.data.intentIds : [job.data.intentId];
    const intents = await findIntentsByIds(deps.db.pool, ids);
    if (intents.length === 0) return;
    const verdicts = await Promise.all(intents.map(check));
    if ('intentIds' in job.data) {
      // Each failed intent of a batch gets its own job, so BullMQ's attempts and backoff apply to it alone.
      const retry = await apply(intents, verdicts, true);
      if (retry.length > 0) {
        await requeueEach(deps, retry);
      }
      return;
    }
    const failed = verdicts[0];
    const allowed = job.opts.attempts ?? 1;
    const attempts = failed.kind === 'failed' && failed.unanswered ? Math.min(allowed, UNANSWERED_ATTEMPTS - 1) : allowed;
    const lastAttempt = job.attemptsMade + 1 >= attempts;
    const retry = await apply(intents, verdicts, !lastAttempt);
    if (retry.length > 0 && failed.kind === 'failed') throw new Error(failed.error);
  };
}

/** Each failed intent of a batch as a verify job of its own, its first retry already spent. */
async function requeueEach(deps: Deps, retry: Intent[]): Promise<void> {
  await deps.queues.verify.addBulk(
    retry.map((intent) => ({
      name: 'verify',
      data: { intentId: intent.id },
      opts: {
        jobId: jobIds.verify(intent.id),
        delay: retryDelay(1, deps.config.retryBaseMs),
        attempts: Math.max(1, deps.config.maxAttempts - 1),
      },
    })),
  );
}
