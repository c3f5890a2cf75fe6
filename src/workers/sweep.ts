import type { Deps } from '../deps.js';
import {
  deleteExpiredConsoleSignOuts,
  deleteExpiredSubscriptions,
  deleteOldDeliveryCounts,
  deleteOldRateLimits,
  deleteOldReplays,
  deleteStaleSeenEntries,
  listStaleFetchRequests,
  listUnqueuedIntents,
  listUnqueuedNotifications,
  listPendingInitials,
  markIntentsEnqueued,
  pruneUpdateLog,
  requestReconfirmations,
} from '../db/index.js';
import { queueFirstPage } from './hand-over.js';
import { enqueueFetches, enqueueInitials, jobIds } from '../queue/index.js';

/**
 * Housekeeping that makes the database the source of truth: expired leases
 * are removed (H15), leases about to end are re-confirmed (H16), and work that was stored but whose enqueue was lost to a
 * crash or a queue outage is enqueued again (job ids keep it idempotent).
 */
// Rows unqueued for this long were given up on by the request that stored them (it waits ENQUEUE_TIMEOUT_MS at most).
export async function sweep(deps: Deps, graceSeconds = 10): Promise<void> {
  const db = deps.db.pool;
  const expired = await deleteExpiredSubscriptions(db);
  if (expired > 0) deps.log.info({ module: 'sweep', expired }, 'expired subscriptions removed');

  await enqueueVerifications(deps, await listUnqueuedIntents(db, graceSeconds));
  // First pages whose fetch job died (or could not queue them) before handing them over, once the claim lapsed.
  for (const notificationId of await listUnqueuedNotifications(db, graceSeconds)) await queueFirstPage(deps, notificationId);
  // crier.initial deliveries owed since before the grace period: their jobs' ids make a re-queue a no-op.
  await enqueueInitials(deps.queues, await listPendingInitials(db, graceSeconds), deps.config.maxAttempts);
  await deleteOldRateLimits(db);
  await deleteOldReplays(db, deps.clock());
  await deleteExpiredConsoleSignOuts(db);
  await deleteOldDeliveryCounts(db);
  await deleteStaleSeenEntries(db, deps.config.seenEntriesDays);
  const trimmed = await pruneUpdateLog(db, deps.config.historyEntries, deps.config.historyDays);
  if (trimmed > 0) deps.log.debug({ module: 'sweep', notifications: trimmed }, 'update log trimmed');
  // A fetch request also waits while its job is queued behind others; re-enqueueing it then is harmless (deduplicated).
  const topics = await listStaleFetchRequests(db, graceSeconds);
  await enqueueFetches(deps.queues, topics);

  // H16: leases about to end are re-confirmed with their subscribers through the usual verification.
  // Last, so that nothing here holds up the repairs above.
  if (deps.config.reconfirmPercent > 0) {
    const reconfirm = await requestReconfirmations(db, deps.config.reconfirmPercent, 1000, deps.config.leaseMaxSeconds);
    if (reconfirm.length > 0)
      deps.log.info({ module: 'sweep', subscriptions: reconfirm.length }, 're-confirming subscriptions before their leases end');
    await enqueueVerifications(deps, reconfirm);
  }
}

/** Stored intents to the verify queue, then marked as queued (a lost enqueue is retried by the next sweep). */
async function enqueueVerifications(deps: Deps, intentIds: number[]): Promise<void> {
  if (intentIds.length === 0) return;
  await deps.queues.verify.addBulk(
    intentIds.map((intentId) => ({ name: 'verify', data: { intentId }, opts: { jobId: jobIds.verify(intentId) } })),
  );
  await markIntentsEnqueued(deps.db.pool, intentIds);
}
