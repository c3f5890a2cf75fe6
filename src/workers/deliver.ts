import type { Job } from 'bullmq';
import type { Deps } from '../deps.js';
import {
  findNotificationById,
  isSubscriptionHostPaused,
  listDeliveryTargetsForNotification,
  type Content,
  type DeliveryTarget,
  type Notification,
  type StatementBatches,
} from '../db/index.js';
import { createCallbackSender } from './callback-sender.js';
import { createDeliveryContent } from './delivery-content.js';
import { createDeliverySlots } from './delivery-slots.js';
import { createInitialDelivery } from './initial-delivery.js';
import { createRetryDelivery, targetOf } from './retry-delivery.js';
import { createSettlement } from './settle.js';
import { enqueuePage, type DeliverPage, type JobData } from '../queue/index.js';

export interface Deliverer {
  /** The deliver queue's processor: page jobs, retry jobs (a replay's too) and initial deliveries. */
  process(job: Job<JobData['deliver']>, token?: string): Promise<void>;
  /**
   * Delivers a just-stored notification's first page (not empty) in the calling
   * job and queues the next page: the page of the first-page hand-over
   * (hand-over.ts). The notification is marked handed over with the page's outcomes.
   */
  firstPage(n: Notification, content: Content, targets: DeliveryTarget[]): Promise<void>;
}

/** One page of a notification's subscribers, as a page job or the first-page hand-over delivers it. */
interface Page {
  n: Notification;
  content: Content;
  afterId: number;
  targets: DeliveryTarget[];
  jobId: string | undefined;
  handOver?: boolean;
}

/**
 * Content distribution (WebSub §7): a page POSTs one content to a keyset
 * page of subscribers; a retry job re-attempts one subscriber (retry-delivery.ts).
 * A failure schedules that subscriber alone; the rest of the page is done. Every
 * kind of delivery sends through callback-sender.ts, and what an attempt comes to
 * is decided in delivery-outcome.ts.
 */
export function createDeliverer(deps: Deps, batches: StatementBatches): Deliverer {
  const log = deps.log.child({ module: 'deliver' });
  const slots = createDeliverySlots(deps.config.deliverConcurrency);
  const send = createCallbackSender(deps);
  const bodies = createDeliveryContent(deps);
  const settlement = createSettlement(deps, batches);

  /** One delivery of notification `n` to `target`, in the target's format; a replay's is marked so. */
  async function attempt(n: Notification, content: Content, target: DeliveryTarget, replay = false) {
    const { body, headers } = await bodies.requestFor(n, content, target, replay);
    return send(target, body, headers);
  }

  async function runPage(job: Job, data: DeliverPage): Promise<void> {
    const [n, targets, content] = await Promise.all([
      findNotificationById(deps.db.pool, data.notificationId),
      listDeliveryTargetsForNotification(deps.db.pool, data.notificationId, data.afterId, deps.config.deliverPageSize),
      // A failed read fails the job, which is retried; only a missing row is "missing".
      bodies.contentFor(data.notificationId),
    ]);
    if (!n || targets.length === 0) return;
    if (!content) throw new Error(`content of notification ${n.id} is missing`);
    await deliverPage({ n, content, afterId: data.afterId, targets, jobId: job.id });
  }

  async function firstPage(n: Notification, content: Content, targets: DeliveryTarget[]): Promise<void> {
    // Later pages picked up by this process need not read the body again.
    if (targets.length === deps.config.deliverPageSize) bodies.cacheContent(n.id, Promise.resolve(content));
    await deliverPage({ n, content, afterId: 0, targets, jobId: 'first page, in the fetch job', handOver: true });
  }

  async function deliverPage({ n, content, afterId, targets, jobId, handOver }: Page): Promise<void> {
    // Queue the next page first so other workers fan out in parallel with this one.
    if (targets.length === deps.config.deliverPageSize) await enqueuePage(deps.queues, n.id, targets[targets.length - 1].id);
    const results = await slots.map(targets, afterId, (t) => attempt(n, content, t));
    const settled = targets.map((target, i) => settlement.settle({ notificationId: n.id, target, result: results[i], attempt: 1 }));
    await settlement.record({ notificationId: n.id, settled, handOver });
    const failed = results.filter((r) => !r.ok).length;
    log.info({ jobId, notificationId: n.id, delivered: targets.length - failed, failed }, 'page delivered');
  }

  const runRetry = createRetryDelivery(deps, {
    async attemptOne(n, content, target, replay) {
      const [result] = await slots.map([target], 0, (t) => attempt(n, content, t, replay));
      return result;
    },
    bodies,
    settlement,
  });

  const runInitial = createInitialDelivery(deps, batches, {
    link: bodies.linkOf,
    async send(sub, body, headers) {
      const target = { ...targetOf(sub), paused: await isSubscriptionHostPaused(deps.db.pool, sub.id) };
      const [result] = await slots.map([target], 0, (t) => send(t, body, headers));
      return result;
    },
  });

  return {
    process: async (job, token) => {
      const data = job.data;
      if (data.kind === 'retry') return runRetry(job, data);
      if (data.kind === 'initial') return runInitial(job, data, token);
      return runPage(job, data);
    },
    firstPage,
  };
}
