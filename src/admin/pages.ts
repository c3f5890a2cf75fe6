import type { Request } from 'express';
import type { Deps } from '../deps.js';
import {
  deliveriesPerMinute,
  findCountedTopic,
  findSubscriptionView,
  listDeliveryHistory,
  listPausedHosts,
  listRecentNotifications,
  parseRowId,
  searchSubscriptions,
  searchTopics,
  type RecentNotification,
} from '../db/index.js';
import { HubError } from '../errors.js';
import { parseFeed } from '../feeds/index.js';
import { BROWSABLE_STATES, countQueues, QUEUE_NAMES, recentJobs, type BrowsableState, type QueueName } from '../queue/index.js';
import { hostOfUrl } from './actions.js';
import { minuteChart } from './chart.js';

/** The data behind each console page; the templates only lay it out. */

/** A query value as a search text: one string of at most 300 characters. */
export function searchText(raw: unknown): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'string' || raw.length > 300)
    throw new HubError('HUB_ERR_CONSOLE_INPUT', 'give one search text of at most 300 characters');
  return raw.trim();
}

/** The row id in the page's path; anything else is no such page. */
function pathId(req: Request): number {
  const id = parseRowId(req.params.id);
  if (id === undefined) throw new HubError('HUB_ERR_NOT_FOUND');
  return id;
}

/** Each queue's counts as the console shows them: one "waiting" column, prioritized jobs included. */
export async function queueCounts(deps: Deps) {
  return (await countQueues(deps.queues)).map(({ name, counts, error }) =>
    counts
      ? {
          name,
          counts: {
            waiting: counts.waiting + counts.prioritized,
            active: counts.active,
            delayed: counts.delayed,
            failed: counts.failed,
            completed: counts.completed,
          },
        }
      : { name, counts: undefined, error: error.message },
  );
}

export async function overviewPage(deps: Deps) {
  const db = deps.db.pool;
  const [counts, failingSubscriptions, failingTopics, queues, pausedHosts] = await Promise.all([
    deliveriesPerMinute(db, 60),
    searchSubscriptions(db, { failing: true, limit: 20 }),
    searchTopics(db, { failing: true, limit: 20 }),
    queueCounts(deps),
    listPausedHosts(db),
  ]);
  return { chart: minuteChart(counts), failingSubscriptions, failingTopics, queues, pausedHosts };
}

export async function topicsPage(deps: Deps, req: Request) {
  const q = searchText(req.query.q);
  return { q, topics: await searchTopics(deps.db.pool, { q, limit: 100 }) };
}

export async function topicPage(deps: Deps, req: Request) {
  const topic = await findCountedTopic(deps.db.pool, pathId(req));
  if (!topic) throw new HubError('HUB_ERR_NOT_FOUND', 'no such topic');
  const [subscriptions, notifications] = await Promise.all([
    searchSubscriptions(deps.db.pool, { topicId: topic.id, limit: 100 }),
    listRecentNotifications(deps.db.pool, topic.id, 10),
  ]);
  return { topic, subscriptions, notifications: notifications.map((n) => describeNotification(n, deps.config.parseBudgetMs)) };
}

/** A notification's delivered body read back as a feed, for its title and entries. */
function describeNotification(n: RecentNotification, budgetMs: number) {
  const base = { id: n.id, createdAt: n.createdAt, newEntries: n.newEntries, updatedEntries: n.updatedEntries };
  const outcome = parseFeed(n.body, n.contentType, Math.min(budgetMs, 500));
  if (outcome.kind !== 'feed')
    return { ...base, feedTitle: undefined, entries: [], summary: `${n.contentType}, ${n.body.length} bytes (not a feed)` };
  // An updated entry says what changed (issue 26); an older notification, or a change of unknown kind, says nothing.
  const entries = outcome.doc.entries.slice(0, 50).map((e) => ({ ...e, changed: n.changes.get(e.key)?.replace(/,/g, ', ') || undefined }));
  return { ...base, feedTitle: outcome.doc.title, entries, summary: '' };
}

export async function subscriptionsPage(deps: Deps, req: Request) {
  const q = searchText(req.query.q);
  const failing = req.query.failing === '1';
  return { q, failing, subscriptions: await searchSubscriptions(deps.db.pool, { q, failing, limit: 100 }) };
}

export async function subscriptionPage(deps: Deps, req: Request) {
  const sub = await findSubscriptionView(deps.db.pool, pathId(req));
  if (!sub) throw new HubError('HUB_ERR_NOT_FOUND', 'no such subscription');
  const [deliveries, paused] = await Promise.all([listDeliveryHistory(deps.db.pool, sub.id, 50), listPausedHosts(deps.db.pool)]);
  const host = hostOfUrl(sub.callback) ?? '';
  return {
    sub,
    deliveries,
    host,
    hostPaused: paused.some((p) => p.host === host),
    dropped: deliveries.filter((d) => d.status === 'dropped').length,
  };
}

export async function queuesPage(deps: Deps) {
  return { queues: await queueCounts(deps), backend: deps.config.redisUrl ? 'Redis' : 'PostgreSQL backend on the database' };
}

/** Most jobs one queue page lists. */
const JOBS_SHOWN = 50;

/** The newest jobs of one queue in one state; a queue or state the console does not know is no such page. */
export async function queueJobsPage(deps: Deps, req: Request) {
  const { name, state } = req.params;
  if (!(QUEUE_NAMES as readonly unknown[]).includes(name) || !(BROWSABLE_STATES as readonly unknown[]).includes(state))
    throw new HubError('HUB_ERR_NOT_FOUND', 'no such queue or job state');
  const queue = name as QueueName;
  const jobs = await recentJobs(deps.queues[queue], state as BrowsableState, JOBS_SHOWN);
  return { name: queue, state, states: BROWSABLE_STATES, limit: JOBS_SHOWN, jobs };
}
