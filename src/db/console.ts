import type { Queryable } from './pool.js';
import type { DeliveryStatus } from './deliveries.js';

/** Reads behind the admin console's pages. Secrets are never selected. */

export interface MinuteCount {
  minute: Date;
  delivered: number;
  failed: number;
}

/** Delivery attempts per minute over the last `minutes` (missing minutes had none). */
export async function deliveriesPerMinute(db: Queryable, minutes = 60): Promise<MinuteCount[]> {
  const { rows } = await db.query(
    `
    select minute, sum(delivered)::int as delivered, sum(failed)::int as failed from delivery_counts
    where minute > now() - make_interval(mins => $1)
    group by minute order by minute`,
    [minutes],
  );
  return rows.map((r) => ({ minute: r.minute, delivered: r.delivered, failed: r.failed }));
}

/** The chart's counts are kept a day. */
export async function deleteOldDeliveryCounts(db: Queryable): Promise<void> {
  await db.query(`delete from delivery_counts where minute < now() - interval '1 day'`);
}

export interface ConsoleSubscription {
  id: number;
  topicId: number;
  topicUrl: string;
  callback: string;
  hasSecret: boolean;
  /** crier.format: `feed` or `json`. */
  format: string;
  leaseSeconds: number;
  expiresAt: Date;
  verifiedAt: Date;
  lastDeliveryAt: Date | null;
  lastDeliveryStatus: string | null;
  lastDeliveryError: string | null;
  nextRetryAt: Date | null;
}

const SUBSCRIPTION_COLUMNS = `
  s.id, s.topic_id, t.url as topic_url, s.callback, s.secret is not null as has_secret, s.format, s.lease_seconds, s.expires_at,
  s.verified_at, s.last_delivery_at, s.last_delivery_status, s.last_delivery_error, s.next_retry_at`;

function subscriptionFromRow(r: Record<string, any>): ConsoleSubscription {
  return {
    id: Number(r.id),
    topicId: Number(r.topic_id),
    topicUrl: r.topic_url,
    callback: r.callback,
    hasSecret: r.has_secret,
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

/** A LIKE pattern matching `text` anywhere, its wildcards taken literally. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Subscriptions whose callback or topic URL contains `q` (all when empty), failing ones when `failing`. */
export async function searchSubscriptions(
  db: Queryable,
  filter: { q?: string; topicId?: number; failing?: boolean; limit?: number },
): Promise<ConsoleSubscription[]> {
  const { rows } = await db.query(
    `
    select ${SUBSCRIPTION_COLUMNS}
    from subscriptions s join topics t on t.id = s.topic_id
    where ($1::text is null or s.callback ilike $1 or t.url ilike $1)
      and ($2::bigint is null or s.topic_id = $2)
      and (not $3::boolean or s.last_delivery_status in ('retrying', 'dropped'))
    order by case when $3::boolean then s.last_delivery_at end desc nulls last, s.id
    limit $4`,
    [filter.q ? contains(filter.q) : null, filter.topicId ?? null, filter.failing ?? false, filter.limit ?? 100],
  );
  return rows.map(subscriptionFromRow);
}

export async function findConsoleSubscription(db: Queryable, id: number): Promise<ConsoleSubscription | undefined> {
  const { rows } = await db.query(
    `select ${SUBSCRIPTION_COLUMNS} from subscriptions s join topics t on t.id = s.topic_id where s.id = $1`,
    [id],
  );
  return rows[0] ? subscriptionFromRow(rows[0]) : undefined;
}

export interface Attempt {
  at: string;
  attempt: number;
  status: DeliveryStatus;
  code: number | null;
  error: string | null;
}

export interface DeliveryHistory {
  notificationId: number;
  notifiedAt: Date;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  updatedAt: Date;
  history: Attempt[];
}

/** A subscription's recorded deliveries (those not delivered at the first attempt), newest first. */
export async function listDeliveryHistory(db: Queryable, subscriptionId: number, limit = 50): Promise<DeliveryHistory[]> {
  const { rows } = await db.query(
    `
    select d.*, n.created_at as notified_at from deliveries d join notifications n on n.id = d.notification_id
    where d.subscription_id = $1 order by d.notification_id desc limit $2`,
    [subscriptionId, limit],
  );
  return rows.map((r) => ({
    notificationId: Number(r.notification_id),
    notifiedAt: r.notified_at,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    updatedAt: r.updated_at,
    history: r.history,
  }));
}

export interface ConsoleTopic {
  id: number;
  url: string;
  contentType: string | null;
  lastFetchAt: Date | null;
  lastFetchStatus: number | null;
  lastFetchError: string | null;
  parseError: string | null;
  fetchRequestedAt: Date | null;
  pausedAt: Date | null;
  subscriptions: number;
}

const TOPIC_QUERY = `
  select t.id, t.url, t.content_type, t.last_fetch_at, t.last_fetch_status, t.last_fetch_error, t.parse_error,
    t.fetch_requested_at, t.paused_at,
    (select count(*)::int from subscriptions s where s.topic_id = t.id and s.expires_at > now()) as subscriptions
  from topics t`;

function topicFromRow(r: Record<string, any>): ConsoleTopic {
  return {
    id: Number(r.id),
    url: r.url,
    contentType: r.content_type,
    lastFetchAt: r.last_fetch_at,
    lastFetchStatus: r.last_fetch_status,
    lastFetchError: r.last_fetch_error,
    parseError: r.parse_error,
    fetchRequestedAt: r.fetch_requested_at,
    pausedAt: r.paused_at,
    subscriptions: r.subscriptions,
  };
}

/** Topics whose URL contains `q` (all when empty); failing ones (fetch error or parse problem) when `failing`. */
export async function searchTopics(db: Queryable, filter: { q?: string; failing?: boolean; limit?: number }): Promise<ConsoleTopic[]> {
  const { rows } = await db.query(
    `
    ${TOPIC_QUERY}
    where ($1::text is null or t.url ilike $1)
      and (not $2::boolean or t.last_fetch_error is not null or t.parse_error is not null)
    order by case when $2::boolean then t.last_fetch_at end desc nulls last, t.id
    limit $3`,
    [filter.q ? contains(filter.q) : null, filter.failing ?? false, filter.limit ?? 100],
  );
  return rows.map(topicFromRow);
}

export async function findConsoleTopic(db: Queryable, id: number): Promise<ConsoleTopic | undefined> {
  const { rows } = await db.query(`${TOPIC_QUERY} where t.id = $1`, [id]);
  return rows[0] ? topicFromRow(rows[0]) : undefined;
}

export interface RecentNotification {
  id: number;
  createdAt: Date;
  newEntries: number;
  updatedEntries: number;
  /** Updated entry key -> what changed (title, content, link, dates, other), when recorded (issue 26). */
  changes: Map<string, string>;
  contentType: string;
  body: Buffer;
}

/** A topic's latest notifications with their delivered bodies (for their entries). */
export async function listRecentNotifications(db: Queryable, topicId: number, limit = 10): Promise<RecentNotification[]> {
  const { rows } = await db.query(
    `
    select n.id, n.created_at, n.new_entries, n.updated_entries, n.updated_keys, n.updated_fields, c.content_type, c.body
    from notifications n join contents c on c.hash = n.content_hash
    where n.topic_id = $1 order by n.id desc limit $2`,
    [topicId, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    createdAt: r.created_at,
    newEntries: r.new_entries,
    updatedEntries: r.updated_entries,
    changes: new Map(((r.updated_keys ?? []) as string[]).map((k, i) => [k, ((r.updated_fields ?? []) as string[])[i] ?? ''])),
    contentType: r.content_type,
    body: r.body,
  }));
}

/** The notifications whose delivery to this subscription was dropped (for the console's "retry now"). */
export async function listDroppedDeliveries(db: Queryable, subscriptionId: number, limit = 1000): Promise<number[]> {
  const { rows } = await db.query(
    `select notification_id from deliveries where subscription_id = $1 and status = 'dropped' order by notification_id limit $2`,
    [subscriptionId, limit],
  );
  return rows.map((r) => Number(r.notification_id));
}

/** Shows the given dropped deliveries as retrying; a row a retry already settled is left as it is. */
export async function markDroppedRetrying(db: Queryable, subscriptionId: number, notificationIds: number[]): Promise<void> {
  await db.query(
    `
    update deliveries set status = 'retrying', next_attempt_at = now(), updated_at = now()
    where subscription_id = $1 and notification_id = any($2::bigint[]) and status = 'dropped'`,
    [subscriptionId, notificationIds],
  );
}

/** Deliveries waiting to be retried (postponed or failed), with their callbacks, for a host's resume. */
export async function listRetryingDeliveries(
  db: Queryable,
  limit = 10000,
): Promise<Array<{ notificationId: number; subscriptionId: number; attempts: number; callback: string }>> {
  const { rows } = await db.query(
    `
    select d.notification_id, d.subscription_id, d.attempts, s.callback
    from deliveries d join subscriptions s on s.id = d.subscription_id
    where d.status = 'retrying' order by d.notification_id limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    notificationId: Number(r.notification_id),
    subscriptionId: Number(r.subscription_id),
    attempts: r.attempts,
    callback: r.callback,
  }));
}
