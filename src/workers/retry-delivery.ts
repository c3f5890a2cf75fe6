import type { Job } from 'bullmq';
import type { Deps } from '../deps.js';
import {
  findDeliveryStatus,
  findNotificationById,
  findSubscriptionById,
  isSubscriptionHostPaused,
  settleReplayedNotification,
  type Content,
  type DeliveryTarget,
  type Notification,
  type Subscription,
} from '../db/index.js';
import type { DeliverRetry } from '../queue/index.js';
import type { DeliveryContent } from './delivery-content.js';
import { endedBeforeAttempt, type AttemptResult } from './delivery-outcome.js';
import type { Settlement } from './settle.js';

/** What a retry borrows from the deliverer. */
export interface RetryDeliveryKit {
  /** One delivery of `n` to `target` through the delivery slots; a replay's is marked so. */
  attemptOne: (n: Notification, content: Content, target: DeliveryTarget, replay: boolean) => Promise<AttemptResult>;
  bodies: DeliveryContent;
  settlement: Settlement;
}

/**
 * A retry job: one subscriber's next attempt at one notification, after a failure, a postponement, an
 * operator's retry or resume, or a replay (hub.mode=replay).
 */
export function createRetryDelivery(deps: Deps, { attemptOne, bodies, settlement }: RetryDeliveryKit) {
  const log = deps.log.child({ module: 'deliver' });

  /** A replay's notification settled: the replay runs (db/replays.ts) until all of them are. */
  async function settleReplay(data: DeliverRetry): Promise<void> {
    if (data.replay !== undefined) await settleReplayedNotification(deps.db.pool, data.subscriptionId, data.replay, data.notificationId);
  }

  return async function runRetry(job: Job, data: DeliverRetry): Promise<void> {
    const [n, sub, status, paused] = await Promise.all([
      findNotificationById(deps.db.pool, data.notificationId),
      findSubscriptionById(deps.db.pool, data.subscriptionId),
      findDeliveryStatus(deps.db.pool, data.notificationId, data.subscriptionId),
      isSubscriptionHostPaused(deps.db.pool, data.subscriptionId),
    ]);
    if (!n || !sub || endedBeforeAttempt({ expiresAt: sub.expiresAt, now: Date.now() })) return settleReplay(data);
    // An operator's retry or resume may have delivered it already (a postponed job still waiting, say); a replay is sent again.
    if (status === 'delivered' && !data.replay) return;
    const target = { ...targetOf(sub), paused };
    const content = await bodies.contentFor(n.id);
    if (!content) throw new Error(`content of notification ${n.id} is missing`);
    const result = await attemptOne(n, content, target, data.replay !== undefined);
    const { attempt, deferred, replay } = data;
    const settled = settlement.settle({ notificationId: n.id, target, result, attempt, deferred, hasRow: true, replay });
    await settlement.record({ notificationId: n.id, settled: [settled] });
    // Delivered, dropped or gone: this notification no longer holds its replay running.
    if (!settled.retry) await settleReplay(data);
    const ctx = { jobId: job.id, notificationId: n.id, subscriptionId: target.id, attempt, ok: result.ok };
    log.info(ctx, data.replay ? 'delivery replayed' : 'delivery retried');
  };
}

/** What a delivery needs of a subscription read whole. */
export function targetOf(sub: Subscription): DeliveryTarget {
  return { id: sub.id, callback: sub.callback, secret: sub.secret, signatureAlgorithm: sub.signatureAlgorithm, format: sub.format };
}
