import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { findTopicById, listDeliveriesForSubscription, listSubscriptionsForAdmin } from '../db/index.js';
import { HubError } from '../errors.js';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/**
 * Read-only views for operators: per subscription the last delivery, its
 * outcome, the next retry and the lease; per topic the last fetch. Off unless
 * HUB_ADMIN_TOKEN is set. Secrets are never shown.
 */
export function adminRouter(deps: Deps): express.Router {
  const router = express.Router();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const token = deps.config.adminToken;
    if (!token) return next(new HubError('HUB_ERR_NOT_FOUND'));
    const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    next(sameToken(given, token) ? undefined : new HubError('HUB_ERR_UNAUTHORIZED'));
  });

  router.get('/subscriptions', async (req, res) => {
    const after = Number(req.query.after ?? 0) || 0;
    const limit = Math.min(500, Number(req.query.limit ?? 100) || 100);
    const subs = await listSubscriptionsForAdmin(deps.db.pool, after, limit);
    res.json(subs.map(({ secret, ...rest }) => ({ ...rest, hasSecret: secret !== null })));
  });

  router.get('/subscriptions/:id/deliveries', async (req, res) => {
    res.json(await listDeliveriesForSubscription(deps.db.pool, Number(req.params.id) || 0));
  });

  router.get('/topics/:id', async (req, res) => {
    const topic = await findTopicById(deps.db.pool, Number(req.params.id) || 0);
    if (!topic) throw new HubError('HUB_ERR_NOT_FOUND', 'no such topic');
    res.json(topic);
  });
  return router;
}
