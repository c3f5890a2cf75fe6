import type { Job } from 'bullmq';
import { recordFetch } from '../db/index.js';
import type { HubError } from '../errors.js';
import type { JobData } from '../queue/index.js';
import type { FetchPass } from './fetch-gate.js';
import type { FetchRun, FetchWorker } from './fetch-run.js';

/**
 * A GET the fetcher failed with a HubError: the topic's failure (docs/jobs.md, "A failed fetch").
 * Recorded with the topic's next poll; a ping's transient failure with a try left is thrown again,
 * for BullMQ to retry.
 */
export async function recordFetchFailure(
  { deps, log, schedule }: FetchWorker,
  run: FetchRun,
  pass: FetchPass,
  job: Job<JobData['fetch']>,
  error: HubError,
): Promise<void> {
  const { topic, source } = run;
  run.counted('failed');
  const status = (error.details?.status as number | undefined) ?? null;
  pass.release(serverBehaved(error.code, status));
  const retryAfterSeconds = error.details?.retryAfter as number | undefined;
  const poll = schedule(topic, source, 'failed', { retryAfterSeconds });
  const permanent =
    error.code === 'HUB_ERR_ADDRESS_BLOCKED' ||
    error.code === 'HUB_ERR_TOPIC_TOO_LARGE' ||
    (status !== null && status >= 400 && status < 500 && status !== 429);
  // A poll is not retried here: its schedule backs off instead (and honours Retry-After).
  const retried = !permanent && source === 'ping' && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
  // A ping's fetch to be tried again keeps the ping's mark, so the retry is still the ping's (and is retried in turn).
  const servedUpTo = retried ? new Date(0) : run.startedAt;
  await recordFetch(deps.db.pool, topic.id, servedUpTo, { status, error: error.message }, poll);
  log.warn({ ...run.ctx, err: error, permanent }, 'topic fetch failed');
  if (!retried) return;
  throw error;
}

/** Whether a failed fetch says nothing against the server's health (it answered, in time, and not with a 5xx). */
function serverBehaved(code: string, status: number | null): boolean {
  if (code === 'HUB_ERR_ADDRESS_BLOCKED') return true;
  return status !== null && status < 500 && status !== 408 && status !== 429;
}
