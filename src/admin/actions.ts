import type { Deps } from '../deps.js';
import {
  deleteSubscriptionById,
  findCountedTopic,
  findSubscriptionView,
  listRetryingDeliveries,
  markDroppedRetrying,
  listDroppedDeliveries,
  parseRowId,
  pauseHost,
  requestFetches,
  resumeHost,
  setTopicPaused,
  type CountedTopic,
  type SubscriptionView,
} from '../db/index.js';
import { HubError } from '../errors.js';
import { enqueueFetches, enqueueRetries } from '../queue/index.js';

/** What an action works on, resolved from the form (never trusted as given). */
export type Target =
  { kind: 'subscription'; sub: SubscriptionView } | { kind: 'topic'; topic: CountedTopic } | { kind: 'host'; host: string };

export interface Action {
  name: string;
  title: string;
  /** What confirming does, shown on the confirm page. */
  effect: string;
  danger?: boolean;
  target: Target['kind'];
  /** Does it; returns the notice shown afterwards. */
  run(deps: Deps, target: Target): Promise<string>;
}

const subOf = (t: Target) => (t as Extract<Target, { kind: 'subscription' }>).sub;
const topicOf = (t: Target) => (t as Extract<Target, { kind: 'topic' }>).topic;
const hostOf = (t: Target) => (t as Extract<Target, { kind: 'host' }>).host;

export const ACTIONS: Record<string, Action> = {
  retry: {
    name: 'retry',
    title: 'Retry dropped deliveries now',
    effect: "Each of this subscription's dropped deliveries gets one more attempt now; one that fails again stays dropped.",
    target: 'subscription',
    async run(deps, target) {
      const sub = subOf(target);
      const notificationIds = await listDroppedDeliveries(deps.db.pool, sub.id);
      if (notificationIds.length === 0) return 'No dropped deliveries to retry.';
      const at = Date.now();
      // Queued first, then marked: a job that finishes first is not overwritten (the mark only changes rows still dropped).
      await enqueueRetries(
        deps.queues,
        notificationIds.map((notificationId) => ({
          notificationId,
          subscriptionId: sub.id,
          attempt: deps.config.maxAttempts,
          manualAt: at,
        })),
      );
      await markDroppedRetrying(deps.db.pool, sub.id, notificationIds);
      return `Retrying ${notificationIds.length} dropped deliver${notificationIds.length === 1 ? 'y' : 'ies'} now.`;
    },
  },
  'end-subscription': {
    name: 'end-subscription',
    title: 'End subscription',
    effect: 'The subscription is removed at once and the hub tells its callback with a hub.mode=denied request (WebSub §5.2).',
    danger: true,
    target: 'subscription',
    async run(deps, target) {
      const sub = subOf(target);
      await deleteSubscriptionById(deps.db.pool, sub.id);
      // Stored and verified like any intent: a denied intent's "verification" is the denied notice.
      await deps.verifications.submit({
        topicUrl: sub.topicUrl,
        callback: sub.callback,
        mode: 'denied',
        secret: null,
        leaseSeconds: null,
        verifyToken: null,
        reason: 'subscription ended by the hub operator',
        signatureAlgorithm: null,
        format: null,
        initialCount: null,
      });
      return 'Subscription ended; its callback is being told (hub.mode=denied).';
    },
  },
  'fetch-topic': {
    name: 'fetch-topic',
    title: 'Fetch topic now',
    effect: 'The topic is fetched as if its publisher had pinged; new entries go to its subscribers. A paused topic waits for its resume.',
    target: 'topic',
    async run(deps, target) {
      const topic = topicOf(target);
      await requestFetches(deps.db.pool, [topic.url]);
      await enqueueFetches(deps.queues, [topic.id]);
      return topic.pausedAt ? 'Fetch requested; it runs when the topic is resumed.' : 'Fetch queued.';
    },
  },
  'pause-topic': {
    name: 'pause-topic',
    title: 'Pause topic',
    effect: 'The hub stops fetching this topic. Pings are remembered and served when it is resumed.',
    target: 'topic',
    async run(deps, target) {
      await setTopicPaused(deps.db.pool, topicOf(target).id, true);
      return 'Topic paused.';
    },
  },
  'resume-topic': {
    name: 'resume-topic',
    title: 'Resume topic',
    effect: 'The hub fetches this topic again; a ping that came while it was paused is served now.',
    target: 'topic',
    async run(deps, target) {
      const topic = topicOf(target);
      const state = await setTopicPaused(deps.db.pool, topic.id, false);
      if (state?.fetchRequested) await enqueueFetches(deps.queues, [topic.id]);
      return state?.fetchRequested ? 'Topic resumed; the waiting ping is being served.' : 'Topic resumed.';
    },
  },
  'pause-host': {
    name: 'pause-host',
    title: 'Pause callback host',
    effect: 'Deliveries to every callback on this host wait (no attempt is spent, nothing is dropped) until the host is resumed.',
    target: 'host',
    async run(deps, target) {
      await pauseHost(deps.db.pool, hostOf(target));
      return 'Callback host paused.';
    },
  },
  'resume-host': {
    name: 'resume-host',
    title: 'Resume callback host',
    effect: 'Deliveries to this host go out again; those that waited are attempted now.',
    target: 'host',
    async run(deps, target) {
      const host = hostOf(target);
      await resumeHost(deps.db.pool, host);
      const waiting = (await listRetryingDeliveries(deps.db.pool)).filter((d) => hostOfUrl(d.callback) === host);
      const at = Date.now();
      await enqueueRetries(
        deps.queues,
        waiting.map((d) => ({
          notificationId: d.notificationId,
          subscriptionId: d.subscriptionId,
          attempt: Math.min(d.attempts + 1, deps.config.maxAttempts),
          manualAt: at,
        })),
      );
      return `Callback host resumed; ${waiting.length} waiting deliver${waiting.length === 1 ? 'y' : 'ies'} queued now.`;
    },
  },
};

export function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** A digits-only id (at most 15 digits), else a 400. */
function idField(raw: unknown): number {
  const id = parseRowId(raw);
  if (id !== undefined) return id;
  throw new HubError('HUB_ERR_CONSOLE_INPUT', 'give the id of a subscription or topic');
}

/** A host as URLs write it (name or address, with a port when not the default), else a 400. */
function hostField(raw: unknown): string {
  if (typeof raw === 'string' && raw.length > 0 && raw.length <= 300 && !/[/?#@\s\\]/.test(raw)) {
    const host = hostOfUrl(`http://${raw}/`);
    if (host !== undefined && host === raw.toLowerCase()) return host;
  }
  throw new HubError('HUB_ERR_CONSOLE_INPUT', 'give a callback host such as example.com or 127.0.0.1:8080');
}

/** Finds what an action's fields name; a 404 when it no longer exists. */
export async function resolveTarget(deps: Deps, action: Action, fields: Record<string, unknown>): Promise<Target> {
  if (action.target === 'host') return { kind: 'host', host: hostField(fields.host) };
  const id = idField(fields.id);
  if (action.target === 'subscription') {
    const sub = await findSubscriptionView(deps.db.pool, id);
    if (!sub) throw new HubError('HUB_ERR_NOT_FOUND', 'no such subscription');
    return { kind: 'subscription', sub };
  }
  const topic = await findCountedTopic(deps.db.pool, id);
  if (!topic) throw new HubError('HUB_ERR_NOT_FOUND', 'no such topic');
  return { kind: 'topic', topic };
}

/** The target as shown on the confirm page, the form fields naming it, and the page to go back to. */
export function describeTarget(target: Target): { text: string; fields: Record<string, string>; page: string } {
  switch (target.kind) {
    case 'subscription':
      return {
        text: `${target.sub.callback} → ${target.sub.topicUrl}`,
        fields: { id: String(target.sub.id) },
        page: `/subscriptions/${target.sub.id}`,
      };
    case 'topic':
      return { text: target.topic.url, fields: { id: String(target.topic.id) }, page: `/topics/${target.topic.id}` };
    case 'host':
      return { text: target.host, fields: { host: target.host }, page: `/subscriptions?q=${encodeURIComponent(target.host)}` };
  }
}
