import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import {
  findCountedTopic,
  findSubscriptionView,
  listDeliveriesForSubscription,
  listSubscriptions,
  listTopics,
  parseRowId,
  statusCounts,
  type SubscriptionView,
} from '../db/index.js';
import { HubError } from '../errors.js';
import { createAuthThrottle } from '../hub/auth-throttle.js';
import { parseHubUrl } from '../hub/urls.js';
import { countQueues, DEPTH_STATES } from '../queue/index.js';
import { subscriptionJson, topicJson } from './api-json.js';

function sameToken(given: string, expected: string): boolean {
  // Compare digests so neither the length nor the content leaks through timing.
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** A path or query value as a row id, else the fallback (0 finds nothing). */
function id(raw: unknown, fallback = 0): number {
  return parseRowId(raw) ?? fallback;
}

function page(req: Request): { afterId: number; limit: number } {
  return { afterId: id(req.query.after), limit: Math.max(1, Math.min(500, id(req.query.limit, 100))) };
}

/** An optional URL filter in its stored (normal) form; a bad one is a 400. */
function urlFilter(raw: unknown, field: 'hub.topic' | 'hub.callback'): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string')
    throw new HubError(
      field === 'hub.topic' ? 'HUB_ERR_PARAM_TOPIC_INVALID' : 'HUB_ERR_PARAM_CALLBACK_INVALID',
      `give ${field === 'hub.topic' ? 'topic' : 'callback'} once`,
    );
  return parseHubUrl(raw, field);
}

/**
 * Read-only views for operators (GET, bearer HUB_ADMIN_TOKEN; 404 when unset):
 *   /admin/subscriptions[?topic=URL][&callback=URL][&after=ID][&limit=N]
 *     last delivery attempt, outcome, error, next retry, lease expiry
 *   /admin/subscriptions/:id, /admin/subscriptions/:id/deliveries
 *   /admin/topics[?url=URL][&after=ID][&limit=N], /admin/topics/:id
 *     last fetch status, error and source (ping, poll, subscribe), parse error, live subscription count,
 *     poll schedule (next poll, interval and why, failures, pings seen, polls that caught what pings missed)
 *   /admin/status: totals and each queue's job counts (what `crier status` shows)
 * Secrets are never selected, so they cannot be shown.
 */
export function adminRouter(deps: Deps): express.Router {
  const router = express.Router();
  const throttle = createAuthThrottle(deps, 'admin');
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const token = deps.config.adminToken;
    if (!token) return next(new HubError('HUB_ERR_NOT_FOUND'));
    res.setHeader('Cache-Control', 'no-store');
    const given = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    // No token at all is no guess: refused without counting. A wrong one counts against the client.
    if (given !== undefined && (await throttle.attempt(req.ip, () => sameToken(given, token)))) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="crier-admin"');
    next(new HubError('HUB_ERR_UNAUTHORIZED'));
  });

  const subscription = (sub: SubscriptionView) => subscriptionJson(sub, deps.config.signatureAlgorithm);

  router.get('/status', async (_req, res) => {
    const queues: Record<string, Record<string, number>> = {};
    for (const { name, counts, error } of await countQueues(deps.queues)) {
      if (error) throw error;
      queues[name] = Object.fromEntries(DEPTH_STATES.map((state) => [state, counts[state]]));
    }
    res.json({ role: deps.config.role, ...(await statusCounts(deps.db.pool)), queues });
  });

  router.get('/subscriptions', async (req, res) => {
    const topicUrl = urlFilter(req.query.topic, 'hub.topic');
    const callback = urlFilter(req.query.callback, 'hub.callback');
    res.json((await listSubscriptions(deps.db.pool, { ...page(req), topicUrl, callback })).map(subscription));
  });

  router.get('/subscriptions/:id', async (req, res) => {
    const sub = await findSubscriptionView(deps.db.pool, id(req.params.id));
    if (!sub) throw new HubError('HUB_ERR_NOT_FOUND', 'no such subscription');
    res.json(subscription(sub));
  });

  router.get('/subscriptions/:id/deliveries', async (req, res) => {
    res.json(await listDeliveriesForSubscription(deps.db.pool, id(req.params.id)));
  });

  router.get('/topics', async (req, res) => {
    res.json((await listTopics(deps.db.pool, { ...page(req), url: urlFilter(req.query.url, 'hub.topic') })).map(topicJson));
  });

  router.get('/topics/:id', async (req, res) => {
    const topic = await findCountedTopic(deps.db.pool, id(req.params.id));
    if (!topic) throw new HubError('HUB_ERR_NOT_FOUND', 'no such topic');
    res.json(topicJson(topic));
  });
  return router;
}
