import type { Queryable } from './pool.js';

/** Totals for `GET /admin/status`: one statement, counts only. */
export interface StatusCounts {
  topics: number;
  subscriptions: number;
  /** Subscriptions whose last delivery failed and is being retried or was dropped. */
  failingSubscriptions: number;
  pendingIntents: number;
}

export async function statusCounts(db: Queryable): Promise<StatusCounts> {
  const { rows } = await db.query(`
    select (select count(*)::int from topics) as topics,
           (select count(*)::int from subscriptions where expires_at > now()) as subscriptions,
           (select count(*)::int from subscriptions
             where expires_at > now() and last_delivery_status in ('retrying', 'dropped')) as failing,
           (select count(*)::int from intents) as intents`);
  const r = rows[0];
  return { topics: r.topics, subscriptions: r.subscriptions, failingSubscriptions: r.failing, pendingIntents: r.intents };
}
