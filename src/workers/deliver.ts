import type { Job } from 'bullmq';
import type { Deps } from '../deps.js';
import {
  deleteSubscriptionById,
  findNotificationById,
  findDeliveryStatus,
  isSubscriptionHostPaused,
  findSubscriptionById,
  findContentOfNotification,
  listDeliveryTargetsForNotification,
  markNotificationEnqueued,
  recordDeliveries,
  settleReplayedNotification,
  type Content,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryFormat,
  type DeliveryTarget,
  type Notification,
  type StatementBatches,
  type Subscription,
} from '../db/index.js';
import { toJsonFeedAsync } from '../feeds/index.js';
import { retryDelay } from './backoff.js';
import { createCircuitBreakers } from './circuit.js';
import { createDeliverySlots } from './delivery-slots.js';
import type { SignatureAlgorithm } from '../secret-formats.js';
import { sign } from '../net/index.js';
import type { AttemptResult } from './attempt-result.js';
import { createInitialDelivery } from './initial-delivery.js';
import { enqueuePage, jobIds, type DeliverPage, type DeliverRetry, type JobData } from '../queue/index.js';

/** How long a delivery to a paused host waits before it looks again (a resume queues it at once). */
const PAUSED_RECHECK_MS = 60_000;

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

/**
 * Content distribution (WebSub §7): a page POSTs one content to a keyset
 * page of subscribers; a retry job re-attempts one subscriber. A failure
 * schedules that subscriber alone; the rest of the page is done.
 */
export function createDeliverer(deps: Deps, batches: StatementBatches): Deliverer {
  const log = deps.log.child({ module: 'deliver' });
  const slots = createDeliverySlots(deps.config.deliverConcurrency);
  // Per callback origin, in this process only (see circuit.ts).
  const circuits = createCircuitBreakers({
    minAttempts: deps.config.circuitMinAttempts,
    cooldownMs: deps.config.circuitCooldownMs,
    maxCooldownMs: 5 * 60 * 1000,
  });
  const { metrics } = deps;
  metrics.watchCircuits('callback', () => circuits.openCount());
  // A notification's body never changes: the pages of one fan-out read it once per process.
  const contents = new Map<number, Promise<Content | undefined>>();

  function cacheContent(notificationId: number, content: Promise<Content | undefined>): void {
    if (contents.size >= 16) contents.delete(contents.keys().next().value!);
    contents.set(notificationId, content);
  }

  function contentFor(notificationId: number): Promise<Content | undefined> {
    let content = contents.get(notificationId);
    if (!content) {
      content = findContentOfNotification(deps.db.pool, notificationId);
      // Neither a missing row nor a failed read is kept: the next page reads again.
      content.then(
        (found) => found ?? contents.delete(notificationId),
        () => contents.delete(notificationId),
      );
      cacheContent(notificationId, content);
    }
    return content;
  }

  // crier.format=json: a notification's JSON Feed form, rendered once per notification in this process, not per
  // subscriber, its parse in slices (as the fetch job's) so a large body never holds up the front.
  const jsonContents = new Map<number, Promise<Content>>();
  function jsonContentOf(n: Notification, content: Content): Promise<Content> {
    let json = jsonContents.get(n.id);
    if (!json) {
      const logged = { seq: n.id, body: content.body, contentType: content.contentType, ...entriesOf(n), updatedKeys: n.updatedKeys };
      json = toJsonFeedAsync(logged, n.topicUrl).then((doc) => ({ hash: content.hash, contentType: doc.contentType, body: doc.body }));
      json.catch(() => jsonContents.delete(n.id));
      if (jsonContents.size >= 16) jsonContents.delete(jsonContents.keys().next().value!);
      jsonContents.set(n.id, json);
    }
    return json;
  }

  // Headers shared by every delivery of one notification in one format, built once per page.
  const sharedHeaders = new WeakMap<Notification, Partial<Record<DeliveryFormat, Record<string, string>>>>();
  function headersOf(n: Notification, content: Content, format: DeliveryFormat): Record<string, string> {
    let byFormat = sharedHeaders.get(n);
    if (!byFormat) sharedHeaders.set(n, (byFormat = {}));
    let headers = byFormat[format];
    if (!headers) {
      headers = byFormat[format] = {
        'content-type': content.contentType,
        link: linkOf(n.topicUrl),
        'x-crier-entries': `new=${n.newEntries}, updated=${n.updatedEntries}`,
        // The update log's id: the same in a stream event, a long-poll answer and a retrieve result.
        'x-crier-seq': String(n.id),
      };
    }
    return headers;
  }

  // WebSub §7 (H21): both links in one header; self first, for clients that read only the first link.
  const linkOf = (topicUrl: string) => `<${topicUrl}>; rel="self", <${deps.config.publicUrl}>; rel="hub"`;

  /** One delivery of notification `n` to `target`, in the target's format; a replay's is marked so. */
  async function attempt(n: Notification, content: Content, target: DeliveryTarget, replay = false): Promise<AttemptResult> {
    const format = target.format ?? 'feed';
    const shaped = format === 'json' ? await jsonContentOf(n, content) : content;
    // Same id on every retry (and replay), so subscribers can drop duplicates.
    const headers: Record<string, string> = { ...headersOf(n, shaped, format), 'x-hub-delivery': `${n.id}.${target.id}` };
    if (replay) headers['x-crier-replay'] = '1';
    return send(target, shaped.body, headers);
  }

  async function send(target: DeliveryTarget, body: Buffer, headers: Record<string, string>): Promise<AttemptResult> {
    // Runs once a slot is free (delivery-slots.ts): nothing is built for a queued subscriber.
    // Parsed once per delivery: the circuit keys on its origin and the client reuses it.
    let url: URL | string;
    let origin: string;
    try {
      url = new URL(target.callback);
      origin = url.origin;
    } catch {
      url = origin = target.callback;
    }
    // A paused host's deliveries wait without spending attempts; its resume queues them at once.
    if (target.paused)
      return { ok: false, deferred: true, retryAt: Date.now() + PAUSED_RECHECK_MS, error: `callback host paused by an operator` };
    // Asked once a slot is free: the circuit may have opened while this waited.
    const admission = circuits.admit(origin);
    if (!admission.allowed)
      return {
        ok: false,
        deferred: true,
        retryAt: admission.retryAt,
        error: `circuit open for ${origin}: too many recent failures; delivery postponed`,
      };
    try {
      if (target.secret) {
        const algorithm = (target.signatureAlgorithm as SignatureAlgorithm | null) ?? deps.config.signatureAlgorithm;
        // Signed over the exact bytes sent (a JSON Feed delivery's own bytes).
        headers['x-hub-signature'] = sign(body, deps.secrets.open(target.secret), algorithm);
      }
    } catch (err) {
      // A secret no configured key opens: never deliver unsigned, record why instead.
      return { ok: false, gone: false, status: null, error: (err as Error).message };
    }
    const began = performance.now();
    try {
      const { status } = await deps.http.callbacks.post(url, body, headers);
      metrics.deliveryDuration.observe((performance.now() - began) / 1000);
      // A 4xx is the subscriber's answer, not a sick host; timeouts, resets, 5xx, 408 and 429 are.
      circuits.record(origin, status < 500 && status !== 408 && status !== 429);
      if (status >= 200 && status < 300) return { ok: true };
      return { ok: false, gone: status === 410, status, error: `callback answered ${status}` };
    } catch (err) {
      metrics.deliveryDuration.observe((performance.now() - began) / 1000);
      circuits.record(origin, (err as { code?: string }).code === 'HUB_ERR_ADDRESS_BLOCKED');
      return { ok: false, gone: false, status: null, error: (err as Error).message };
    }
  }

  /** Outcome of attempt number `attemptNo` for one subscriber, and the retry job it needs. */
  function settle(
    n: Notification,
    target: DeliveryTarget,
    attemptNo: number,
    result: AttemptResult,
    deferred = 0,
    recorded = false,
    replay?: number,
  ) {
    const replayed = replay ? { replay } : {};
    const now = Date.now();
    const signatureAlgorithm = target.secret ? (target.signatureAlgorithm ?? deps.config.signatureAlgorithm) : null;
    if (!result.ok && 'deferred' in result) {
      metrics.delivery.deferred.inc();
      // An open circuit delays without spending an attempt; the lease still bounds how long (runRetry).
      const delay = Math.max(0, result.retryAt - now) + Math.floor(Math.random() * 1000);
      const nextAttemptAt = new Date(now + delay);
      return {
        outcome: { subscriptionId: target.id, status: 'retrying', error: result.error, nextRetryAt: nextAttemptAt } as DeliveryOutcome,
        record: {
          notificationId: n.id,
          subscriptionId: target.id,
          status: 'retrying',
          attempts: attemptNo - 1,
          lastStatusCode: null,
          lastError: result.error,
          nextAttemptAt,
          signatureAlgorithm,
        } as DeliveryRecord,
        retry: {
          data: {
            kind: 'retry' as const,
            notificationId: n.id,
            subscriptionId: target.id,
            attempt: attemptNo,
            deferred: deferred + 1,
            ...replayed,
          } as DeliverRetry,
          delay,
        },
        attempted: false,
      };
    }
    if (result.ok) {
      metrics.delivery.delivered.inc();
      const outcome: DeliveryOutcome = { subscriptionId: target.id, status: 'delivered', error: null, nextRetryAt: null };
      // A retry job's delivery has a row (even a first attempt, after a postponement): it is brought up to date.
      const record: DeliveryRecord | undefined =
        attemptNo > 1 || recorded
          ? {
              notificationId: n.id,
              subscriptionId: target.id,
              status: 'delivered',
              attempts: attemptNo,
              lastStatusCode: null,
              lastError: null,
              nextAttemptAt: null,
              signatureAlgorithm,
            }
          : undefined;
      return { outcome, record, retry: undefined, attempted: true };
    }
    if ('gone' in result && result.gone) {
      metrics.delivery.gone.inc();
      return { outcome: undefined, record: undefined, retry: undefined, gone: true, attempted: true };
    }
    const exhausted = attemptNo >= deps.config.maxAttempts;
    const delay = exhausted ? 0 : retryDelay(attemptNo, deps.config.retryBaseMs);
    const nextAttemptAt = exhausted ? null : new Date(now + delay);
    const status = exhausted ? 'dropped' : 'retrying';
    metrics.delivery[status].inc();
    return {
      outcome: { subscriptionId: target.id, status, error: result.error, nextRetryAt: nextAttemptAt } as DeliveryOutcome,
      record: {
        notificationId: n.id,
        subscriptionId: target.id,
        status,
        attempts: attemptNo,
        lastStatusCode: result.status,
        lastError: result.error,
        nextAttemptAt,
        signatureAlgorithm,
      } as DeliveryRecord,
      retry: exhausted
        ? undefined
        : {
            data: {
              kind: 'retry' as const,
              notificationId: n.id,
              subscriptionId: target.id,
              attempt: attemptNo + 1,
              ...replayed,
            } as DeliverRetry,
            delay,
          },
      attempted: true,
    };
  }

  async function runPage(job: Job, data: DeliverPage): Promise<void> {
    const [n, targets, content] = await Promise.all([
      findNotificationById(deps.db.pool, data.notificationId),
      listDeliveryTargetsForNotification(deps.db.pool, data.notificationId, data.afterId, deps.config.deliverPageSize),
      // A failed read fails the job, which is retried; only a missing row is "missing".
      contentFor(data.notificationId),
    ]);
    if (!n || targets.length === 0) return;
    if (!content) throw new Error(`content of notification ${n.id} is missing`);
    await deliverPage(n, content, data.afterId, targets, job.id);
  }

  async function firstPage(n: Notification, content: Content, targets: DeliveryTarget[]): Promise<void> {
    // Later pages picked up by this process need not read the body again.
    if (targets.length === deps.config.deliverPageSize) cacheContent(n.id, Promise.resolve(content));
    await deliverPage(n, content, 0, targets, 'first page, in the fetch job', true);
  }

  async function deliverPage(
    n: Notification,
    content: Content,
    afterId: number,
    targets: DeliveryTarget[],
    jobId: string | undefined,
    handOver = false,
  ): Promise<void> {
    // Queue the next page first so other workers fan out in parallel with this one.
    if (targets.length === deps.config.deliverPageSize) await enqueuePage(deps.queues, n.id, targets[targets.length - 1].id);
    const results = await slots.map(targets, afterId, (t) => attempt(n, content, t));
    await record(
      n,
      targets.map((t, i) => settle(n, t, 1, results[i])),
      targets,
      handOver,
    );
    const failed = results.filter((r) => !r.ok).length;
    log.info({ jobId, notificationId: n.id, delivered: targets.length - failed, failed }, 'page delivered');
  }

  async function runRetry(job: Job, data: DeliverRetry): Promise<void> {
    const [n, sub, status, paused] = await Promise.all([
      findNotificationById(deps.db.pool, data.notificationId),
      findSubscriptionById(deps.db.pool, data.subscriptionId),
      findDeliveryStatus(deps.db.pool, data.notificationId, data.subscriptionId),
      isSubscriptionHostPaused(deps.db.pool, data.subscriptionId),
    ]);
    // WebSub §7 (H23): keep trying only while the subscription lives.
    if (!n || !sub || sub.expiresAt.getTime() <= Date.now()) return settleReplay(data);
    // An operator's retry or resume may have delivered it already (a postponed job still waiting, say); a replay is sent again.
    if (status === 'delivered' && !data.replay) return;
    const target = { ...targetOf(sub), paused };
    const content = await contentFor(n.id);
    if (!content) throw new Error(`content of notification ${n.id} is missing`);
    const [result] = await slots.map([target], 0, (t) => attempt(n, content, t, data.replay !== undefined));
    const settled = settle(n, target, data.attempt, result, data.deferred ?? 0, true, data.replay);
    await record(n, [settled], [target]);
    // Delivered, dropped or gone: this notification no longer holds its replay running.
    if (!settled.retry) await settleReplay(data);
    const ctx = { jobId: job.id, notificationId: n.id, subscriptionId: sub.id, attempt: data.attempt, ok: result.ok };
    log.info(ctx, data.replay ? 'delivery replayed' : 'delivery retried');
  }

  /** A replay's notification settled: the replay runs (db/replays.ts) until all of them are. */
  async function settleReplay(data: DeliverRetry): Promise<void> {
    if (data.replay !== undefined) await settleReplayedNotification(deps.db.pool, data.subscriptionId, data.replay, data.notificationId);
  }

  async function record(
    n: Notification,
    settled: Array<ReturnType<typeof settle>>,
    targets: DeliveryTarget[],
    handOver = false,
  ): Promise<void> {
    const outcomes = settled.flatMap((s) => (s.outcome ? [s.outcome] : []));
    const records = settled.flatMap((s) => (s.record ? [s.record] : []));
    const retries = settled.flatMap((s) => (s.retry ? [s.retry] : []));
    const gone = targets.filter((_, i) => settled[i].gone);
    const counts = {
      delivered: settled.filter((s) => s.outcome?.status === 'delivered').length,
      failed: settled.filter((s) => s.attempted && s.outcome?.status !== 'delivered').length,
    };
    // A first page is handed over only once everything it leaves behind is stored and queued:
    // with nothing more to do, in the outcomes' own statement; otherwise after the retries are queued.
    const handOverNow = handOver && retries.length === 0 && records.length === 0 && gone.length === 0;
    // The per-delivery rows first: a subscription's summary never points at a row not yet written.
    await recordDeliveries(deps.db.pool, records);
    await batches.pageOutcomes({ outcomes, handedOverNotificationId: handOverNow ? n.id : undefined, counts });
    // WebSub §7 (H22): 410 Gone ends the subscription.
    for (const t of gone) await deleteSubscriptionById(deps.db.pool, t.id);
    if (retries.length > 0) {
      await deps.queues.deliver.addBulk(
        retries.map((r) => ({
          name: 'retry',
          data: r.data,
          opts: {
            delay: r.delay,
            jobId: jobIds.retry(r.data.notificationId, r.data.subscriptionId, r.data.attempt, r.data.deferred, r.data.replay),
          },
        })),
      );
    }
    if (handOver && !handOverNow) await markNotificationEnqueued(deps.db.pool, n.id);
  }

  const runInitial = createInitialDelivery(deps, batches, {
    link: linkOf,
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

/** What a delivery needs of a subscription read whole. */
function targetOf(sub: Subscription): DeliveryTarget {
  return { id: sub.id, callback: sub.callback, secret: sub.secret, signatureAlgorithm: sub.signatureAlgorithm, format: sub.format };
}

/** A notification's entry counts, as the feed engine's logged body carries them. */
function entriesOf(n: Notification): { newEntries: number; updatedEntries: number } {
  return { newEntries: n.newEntries, updatedEntries: n.updatedEntries };
}
