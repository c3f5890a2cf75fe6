import type { Queryable } from './pool.js';
import { subscriptionFromRow, type Subscription } from './subscriptions.js';
import { contains } from './topic-reads.js';

/**
 * What an operator (the admin API and the console) sees of a subscription: the Subscription,
 * mapped by the table's own subscriptionFromRow, with its topic's URL and whether it has a
 * secret. The secret column is never selected here, so no code path can show it.
 */
export type SubscriptionView = Omit<Subscription, 'secret' | 'initialCount' | 'initialRequestedAt'> & {
  topicUrl: string;
  hasSecret: boolean;
};

const COLUMNS = `
  s.id, s.topic_id, t.url as topic_url, s.callback, s.secret is not null as has_secret, s.signature_algorithm, s.format,
  s.lease_seconds, s.expires_at,
  s.verified_at, s.last_delivery_at, s.last_delivery_status, s.last_delivery_error, s.next_retry_at`;

function viewFromRow(r: Record<string, any>): SubscriptionView {
  const { secret, initialCount, initialRequestedAt, ...shown } = subscriptionFromRow(r);
  void [secret, initialCount, initialRequestedAt]; // not selected: undefined, and left out of the view
  return { ...shown, topicUrl: r.topic_url, hasSecret: r.has_secret };
}

/** A keyset page of subscriptions, optionally only those of one topic URL and/or one callback. */
export async function listSubscriptions(
  db: Queryable,
  filter: { afterId: number; limit: number; topicUrl?: string; callback?: string },
): Promise<SubscriptionView[]> {
  const { rows } = await db.query(
    `
    select ${COLUMNS}
    from subscriptions s join topics t on t.id = s.topic_id
    where s.id > $1 and ($3::text is null or t.url = $3) and ($4::text is null or s.callback = $4)
    order by s.id limit $2`,
    [filter.afterId, filter.limit, filter.topicUrl ?? null, filter.callback ?? null],
  );
  return rows.map(viewFromRow);
}

export async function findSubscriptionView(db: Queryable, id: number): Promise<SubscriptionView | undefined> {
  const { rows } = await db.query(`select ${COLUMNS} from subscriptions s join topics t on t.id = s.topic_id where s.id = $1`, [id]);
  return rows[0] ? viewFromRow(rows[0]) : undefined;
}

/** Subscriptions whose callback or topic URL contains `q` (all when empty), failing ones when `failing`. */
export async function searchSubscriptions(
  db: Queryable,
  filter: { q?: string; topicId?: number; failing?: boolean; limit?: number },
): Promise<SubscriptionView[]> {
  const { rows } = await db.query(
    `
    select ${COLUMNS}
    from subscriptions s join topics t on t.id = s.topic_id
    where ($1::text is null or s.callback ilike $1 or t.url ilike $1)
      and ($2::bigint is null or s.topic_id = $2)
      and (not $3::boolean or s.last_delivery_status in ('retrying', 'dropped'))
    order by case when $3::boolean then s.last_delivery_at end desc nulls last, s.id
    limit $4`,
    [filter.q ? contains(filter.q) : null, filter.topicId ?? null, filter.failing ?? false, filter.limit ?? 100],
  );
  return rows.map(viewFromRow);
}
