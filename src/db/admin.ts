import type { Queryable } from './pool.js';
import type { Subscription } from './subscriptions.js';

/** What an operator sees of a subscription: its delivery state and lease, never its secret. */
export type AdminSubscription = Omit<Subscription, 'secret' | 'initialCount' | 'initialRequestedAt'> & {
  topicUrl: string;
  hasSecret: boolean;
};

/** What an operator sees of a topic: its last fetch and how many subscribe to it. */
export interface AdminTopic {
  id: number;
  url: string;
  contentType: string | null;
  lastFetchAt: Date | null;
  lastFetchStatus: number | null;
  lastFetchError: string | null;
  parseError: string | null;
  fetchRequestedAt: Date | null;
  subscriptions: number;
  /** What caused the last fetch: a ping, the poll schedule, or the first fetch after the first subscription. */
  lastFetchSource: string | null;
  /** The poll schedule: next poll (null: not polled), interval and why, failures in a row. */
  nextPollAt: Date | null;
  pollIntervalSeconds: number | null;
  pollReason: string | null;
  pollFailures: number;
  pingsSeen: number;
  /** Polls that found content no ping announced: a publisher's broken hook. */
  missedByPing: number;
}

export interface AdminPage {
  afterId: number;
  limit: number;
}

// The secret column is never selected here, so no code path can leak it.
const SUBSCRIPTION_COLUMNS = `
  s.id, s.topic_id, t.url as topic_url, s.callback, s.secret is not null as has_secret, s.signature_algorithm, s.format,
  s.lease_seconds, s.expires_at,
  s.verified_at, s.last_delivery_at, s.last_delivery_status, s.last_delivery_error, s.next_retry_at`;

function subscriptionFromRow(r: Record<string, any>): AdminSubscription {
  return {
    id: Number(r.id),
    topicId: Number(r.topic_id),
    topicUrl: r.topic_url,
    callback: r.callback,
    hasSecret: r.has_secret,
    signatureAlgorithm: r.signature_algorithm,
    format: r.format,
    leaseSeconds: r.lease_seconds,
    expiresAt: r.expires_at,
    verifiedAt: r.verified_at,
    lastDeliveryAt: r.last_delivery_at,
    lastDeliveryStatus: r.last_delivery_status,
    lastDeliveryError: r.last_delivery_error,
    nextRetryAt: r.next_retry_at,
  };
}

function topicFromRow(r: Record<string, any>): AdminTopic {
  return {
    id: Number(r.id),
    url: r.url,
    contentType: r.content_type,
    lastFetchAt: r.last_fetch_at,
    lastFetchStatus: r.last_fetch_status,
    lastFetchError: r.last_fetch_error,
    parseError: r.parse_error,
    fetchRequestedAt: r.fetch_requested_at,
    subscriptions: r.subscriptions,
    lastFetchSource: r.last_fetch_source,
    nextPollAt: r.poll_at,
    pollIntervalSeconds: r.poll_interval_seconds,
    pollReason: r.poll_reason,
    pollFailures: r.poll_failures,
    pingsSeen: r.pings_seen,
    missedByPing: r.missed_by_ping,
  };
}

/** A keyset page of subscriptions, optionally only those of one topic URL and/or one callback. */
export async function listAdminSubscriptions(
  db: Queryable,
  filter: AdminPage & { topicUrl?: string; callback?: string },
): Promise<AdminSubscription[]> {
  const { rows } = await db.query(
    `
    select ${SUBSCRIPTION_COLUMNS}
    from subscriptions s join topics t on t.id = s.topic_id
    where s.id > $1 and ($3::text is null or t.url = $3) and ($4::text is null or s.callback = $4)
    order by s.id limit $2`,
    [filter.afterId, filter.limit, filter.topicUrl ?? null, filter.callback ?? null],
  );
  return rows.map(subscriptionFromRow);
}

export async function findAdminSubscriptionById(db: Queryable, id: number): Promise<AdminSubscription | undefined> {
  const { rows } = await db.query(
    `
    select ${SUBSCRIPTION_COLUMNS}
    from subscriptions s join topics t on t.id = s.topic_id
    where s.id = $1`,
    [id],
  );
  return rows[0] ? subscriptionFromRow(rows[0]) : undefined;
}

const TOPIC_QUERY = `
  select t.id, t.url, t.content_type, t.last_fetch_at, t.last_fetch_status, t.last_fetch_error, t.parse_error, t.fetch_requested_at,
    t.last_fetch_source, t.poll_at, t.poll_interval_seconds, t.poll_reason, t.poll_failures, t.pings_seen, t.missed_by_ping,
    (select count(*)::int from subscriptions s where s.topic_id = t.id and s.expires_at > now()) as subscriptions
  from topics t`;

/** A keyset page of topics, or the one with `url`. */
export async function listAdminTopics(db: Queryable, filter: AdminPage & { url?: string }): Promise<AdminTopic[]> {
  const { rows } = await db.query(
    `
    ${TOPIC_QUERY}
    where t.id > $1 and ($3::text is null or t.url = $3)
    order by t.id limit $2`,
    [filter.afterId, filter.limit, filter.url ?? null],
  );
  return rows.map(topicFromRow);
}

export async function findAdminTopicById(db: Queryable, id: number): Promise<AdminTopic | undefined> {
  const { rows } = await db.query(
    `
    ${TOPIC_QUERY}
    where t.id = $1`,
    [id],
  );
  return rows[0] ? topicFromRow(rows[0]) : undefined;
}

/** Totals for `GET /admin/status`: one statement, counts only. */
export interface AdminCounts {
  topics: number;
  subscriptions: number;
  /** Subscriptions whose last delivery failed and is being retried or was dropped. */
  failingSubscriptions: number;
  pendingIntents: number;
}

export async function adminCounts(db: Queryable): Promise<AdminCounts> {
  const { rows } = await db.query(`
    select (select count(*)::int from topics) as topics,
           (select count(*)::int from subscriptions where expires_at > now()) as subscriptions,
           (select count(*)::int from subscriptions
             where expires_at > now() and last_delivery_status in ('retrying', 'dropped')) as failing,
           (select count(*)::int from intents) as intents`);
  const r = rows[0];
  return { topics: r.topics, subscriptions: r.subscriptions, failingSubscriptions: r.failing, pendingIntents: r.intents };
}
