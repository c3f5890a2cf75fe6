import type { Deps } from '../deps.js';
import { extendNotificationClaim, markNotificationEnqueued, type Content, type DeliveryTarget, type Notification } from '../db/index.js';
import type { Deliverer } from './deliver.js';
import { enqueuePage } from '../queue/index.js';

/**
 * The first-page hand-over (docs/jobs.md): the fetch job that stored a
 * notification delivers its first page itself, saving a queue hop between ping
 * and delivery. The notification is stored claimed (`claimSeconds`) and not
 * handed over; it is handed over once the page and everything it left behind
 * are stored and queued, or once the page is queued instead.
 */
export interface FirstPageHandOver {
  /** How long a just-stored notification's claim lasts (HUB_JOB_LOCK_MS): stored with it, renewed while its page goes out. */
  claimSeconds: number;
  /** Delivers the first page under the renewed claim, or queues it; never throws (a lapsed claim is the sweep's). */
  deliver(n: Notification, content: Content, targets: DeliveryTarget[]): Promise<void>;
}

export function createFirstPageHandOver(deps: Deps, deliverer: Deliverer): FirstPageHandOver {
  const log = deps.log.child({ module: 'fetch' });
  // Claimed like a job (HUB_JOB_LOCK_MS): a dead process's claim lapses and the sweep queues the page.
  const claimSeconds = deps.config.jobLockMs / 1000;

  /**
   * If the page fails midway, it is queued instead: its subscribers may get it
   * twice, with the same X-Hub-Delivery id. If even that fails, the claim
   * lapses and the sweep queues it.
   */
  async function deliver(n: Notification, content: Content, targets: DeliveryTarget[]): Promise<void> {
    const renew = setInterval(() => {
      extendNotificationClaim(deps.db.pool, n.id, claimSeconds).catch((err) =>
        log.warn({ notificationId: n.id, err }, 'could not renew the first-page claim'),
      );
    }, deps.config.jobLockMs / 3);
    try {
      // Nobody to deliver to: handed over at once. Otherwise the page's own outcomes hand it over (deliver.ts, record).
      if (targets.length === 0) await markNotificationEnqueued(deps.db.pool, n.id);
      else await deliverer.firstPage(n, content, targets);
    } catch (err) {
      log.warn({ notificationId: n.id, err }, 'first page failed in the fetch job; queueing it');
      try {
        await queueFirstPage(deps, n.id);
      } catch (queueErr) {
        // A re-run of the fetch job would find the body unchanged and deliver nothing: the sweep is the way back.
        log.warn({ notificationId: n.id, err: queueErr }, 'first page not queued either; the sweep queues it once the claim lapses');
      }
    } finally {
      clearInterval(renew);
    }
  }

  return { claimSeconds, deliver };
}

/**
 * Hands a notification's first page to the deliver queue and marks it handed
 * over: the fall-back of a first page that failed in its fetch job, and the
 * sweep's repair of one whose claim lapsed. The page's job id makes a repeat a no-op.
 */
export async function queueFirstPage(deps: Deps, notificationId: number): Promise<void> {
  await enqueuePage(deps.queues, notificationId, 0);
  await markNotificationEnqueued(deps.db.pool, notificationId);
}
