import type { Request } from 'express';
import type { Deps } from '../deps.js';
import {
  deliveriesPerMinute,
  findConsoleSubscription,
  findConsoleTopic,
  listDeliveryHistory,
  listPausedHosts,
  listRecentNotifications,
  searchSubscriptions,
  searchTopics,
  type RecentNotification,
} from '../db/index.js';
import { HubError } from '../errors.js';
import { parseFeed } from '../feeds/index.js';
import { QUEUE_NAMES } from '../queue/index.js';
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

export function pathId(req: Request): number {
  const raw = req.params.id;
  if (typeof raw === 'string' && /^\d{1,15}$/.test(raw)) return Number(raw);
  throw new HubError('HUB_ERR_NOT_FOUND');
}

export async function queueCounts(deps: Deps) {
  return Promise.all(
    QUEUE_NAMES.map(async (name) => {
      try {
        const c = await deps.queues[name].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
        return {
          name,
          counts: {
            waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            failed: c.failed ?? 0,
            completed: c.completed ?? 0,
          },
        };
      } catch (err) {
        return { name, counts: undefined, error: (err as Error).message };
      }
    }),
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
  const topic = await findConsoleTopic(deps.db.pool, pathId(req));
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
  const sub = await findConsoleSubscription(deps.db.pool, pathId(req));
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
