import type { Deps } from '../deps.js';
import { claimReplay, deleteReplay, findLiveSubscription, listLatestNotificationIds } from '../db/index.js';
import { HubError } from '../errors.js';
import { enqueueRetries } from '../queue/index.js';
import type { HubRequest } from './params.js';
import { proveReplay, type ReplayEvidence } from './replay-proof.js';

type ReplayRequest = Extract<HubRequest, { mode: 'replay' }>;

/**
 * `hub.mode=replay` (a Crier extension): the topic's last `count` notifications
 * go again to one verified, live subscription, oldest first, through the
 * deliver queue like any retry (signed, retried with backoff), each with its
 * original X-Hub-Delivery and X-Crier-Seq, so a subscriber that has one drops
 * it; each is marked X-Crier-Replay: 1. Only the subscriber may ask
 * (replay-proof.ts), one replay of a subscription runs at a time, and
 * HUB_REPLAY_PER_HOUR are accepted per hour (db/replays.ts). Answered once the
 * jobs are queued (the queue is durable). Returns how many were queued.
 */
export async function replay(deps: Deps, request: ReplayRequest, evidence: ReplayEvidence): Promise<number> {
  const sub = await findLiveSubscription(deps.db.pool, request.topic, request.callback);
  if (!sub)
    throw new HubError('HUB_ERR_SUBSCRIPTION_UNKNOWN', `no verified, live subscription of that callback to ${request.topic.slice(0, 200)}`);
  // Proof first: an unproven request must not use up the subscriber's replays.
  await proveReplay(deps, sub, request.topic, evidence);
  const ids = await listLatestNotificationIds(deps.db.pool, sub.topicId, request.count);
  if (ids.length === 0) return 0;
  // The request's time keeps this replay's job ids apart from the deliveries' own retries and from other replays.
  const replayed = deps.clock();
  const claim = await claimReplay(deps.db.pool, sub.id, ids, replayed, deps.config.replayPerHour);
  if (!claim.ok) {
    const retryAfter = Math.ceil(claim.retryAfterMs / 1000);
    const why =
      claim.reason === 'running'
        ? 'a replay of this subscription is still running'
        : `this subscription was replayed ${deps.config.replayPerHour} times in the last hour`;
    throw new HubError('HUB_ERR_REPLAY_LIMITED', `${why}; retry in ${retryAfter}s`, { details: { retryAfter } });
  }
  try {
    await enqueueRetries(
      deps.queues,
      ids.map((notificationId) => ({ notificationId, subscriptionId: sub.id, attempt: 1, replay: replayed })),
    );
  } catch (err) {
    await deleteReplay(deps.db.pool, claim.id);
    throw err;
  }
  deps.log.info({ module: 'replay', subscriptionId: sub.id, notifications: ids.length }, 'replay queued');
  return ids.length;
}
