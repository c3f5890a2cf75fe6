import type { Queryable } from './pool.js';
import { pausedHostSql } from './pauses.js';
import type { DeliveryFormat } from './intents.js';

export interface Subscription {
  id: number;
  topicId: number;
  callback: string;
  secret: string | null;
  /** Null: the operator's HUB_SIGNATURE_ALGORITHM. */
  signatureAlgorithm: string | null;
  /** crier.format: the shape of its deliveries. */
  format: DeliveryFormat;
  /** A pending crier.initial delivery: entries asked for, and when (its identity); null when none is owed. */
  initialCount: number | null;
  initialRequestedAt: Date | null;
  leaseSeconds: number;
  expiresAt: Date;
  verifiedAt: Date;
  lastDeliveryAt: Date | null;
  lastDeliveryStatus: string | null;
  lastDeliveryError: string | null;
  nextRetryAt: Date | null;
}

/** What a deliverer needs of one subscriber. */
export interface DeliveryTarget {
  id: number;
  callback: string;
  secret: string | null;
  signatureAlgorithm: string | null;
  format: DeliveryFormat;
  /** An operator paused its callback host (db/pauses.ts); undefined when not read with it. */
  paused?: boolean;
}

/** A `subscriptions` row as a Subscription: the one mapping every read of the table uses. */
export function subscriptionFromRow(row: Record<string, any>): Subscription {
  return {
    id: row.id,
    topicId: row.topic_id,
    callback: row.callback,
    secret: row.secret,
    signatureAlgorithm: row.signature_algorithm,
    format: row.format,
    initialCount: row.initial_count,
    initialRequestedAt: row.initial_requested_at,
    leaseSeconds: row.lease_seconds,
    expiresAt: row.expires_at,
    verifiedAt: row.verified_at,
    lastDeliveryAt: row.last_delivery_at,
    lastDeliveryStatus: row.last_delivery_status,
    lastDeliveryError: row.last_delivery_error,
    nextRetryAt: row.next_retry_at,
  };
}

export async function findSubscriptionById(db: Queryable, id: number): Promise<Subscription | undefined> {
  const { rows } = await db.query('select * from subscriptions where id = $1', [id]);
  return rows[0] ? subscriptionFromRow(rows[0]) : undefined;
}

/** A subscription owed its crier.initial delivery; `requestedAt` tells one request's from a later renewal's. */
export interface PendingInitial {
  subscriptionId: number;
  requestedAt: Date;
}

/**
 * The verified end of subscribe intents: their topics are made to exist, then
 * one statement consumes the intents and creates or renews the subscriptions
 * (WebSub §5.1, H5), so a crash leaves each intent either pending or applied.
 * Of two intents for one (topic, callback) the later wins; a renewal keeps the
 * stored crier.format unless it named one. An intent with crier.initial leaves
 * its subscription a pending initial delivery (returned, and found again by the
 * sweep if its job is lost). A topic that was not polled enters the poll
 * schedule, due in `firstPollSeconds` (spread by +-50%).
 */
export async function activateSubscriptionsFromIntents(
  db: Queryable,
  intentIds: number[],
  firstPollSeconds: number,
): Promise<PendingInitial[]> {
  if (intentIds.length === 0) return [];
  await db.query(
    `
    insert into topics (url) select distinct topic_url from intents where id = any($1::bigint[])
    on conflict (url) do nothing`,
    [intentIds],
  );
  const { rows } = await db.query(
    `
    with intent as (
      delete from intents where id = any($1::bigint[])
      returning id, topic_url, callback, secret, lease_seconds, signature_algorithm, format, nullif(initial_count, 0) as initial_count
    ),
    latest as (
      select distinct on (i.topic_url, i.callback) i.*, t.id as topic_id
      from intent i join topics t on t.url = i.topic_url order by i.topic_url, i.callback, i.id desc
    ),
    subscribed as (
    insert into subscriptions (
      topic_id, callback, secret, signature_algorithm, lease_seconds, expires_at, format, initial_count, initial_requested_at
    )
    select l.topic_id, l.callback, l.secret, l.signature_algorithm, l.lease_seconds, now() + make_interval(secs => l.lease_seconds),
      -- milliseconds, as the job carries it: the clearing statement compares them exactly
      coalesce(l.format, 'feed'), l.initial_count, case when l.initial_count is not null then date_trunc('milliseconds', now()) end
    from latest l
    on conflict (topic_id, callback) do update set
      secret = excluded.secret,
      signature_algorithm = excluded.signature_algorithm,
      lease_seconds = excluded.lease_seconds,
      expires_at = excluded.expires_at,
      verified_at = now(),
      -- a renewal keeps the stored crier.format unless it named one
      format = coalesce(
        (select l.format from latest l where l.topic_id = excluded.topic_id and l.callback = excluded.callback), subscriptions.format),
      -- a renewal with crier.initial is owed one (the newer request replaces a pending one); one without leaves it be
      initial_count = coalesce(excluded.initial_count, subscriptions.initial_count),
      initial_requested_at = coalesce(excluded.initial_requested_at, subscriptions.initial_requested_at)
    returning id, topic_id, initial_count, initial_requested_at
    ),
    scheduled as (
      update topics set
        poll_at = now() + make_interval(secs => $2::int * (0.5 + random())),
        poll_interval_seconds = coalesce(poll_interval_seconds, $2::int),
        poll_reason = coalesce(poll_reason, 'new')
      where id in (select topic_id from subscribed) and poll_at is null
    )
    select id, initial_requested_at from subscribed where initial_count is not null`,
    [intentIds, firstPollSeconds],
  );
  return rows.map((r) => ({ subscriptionId: Number(r.id), requestedAt: r.initial_requested_at }));
}

/** The verified subscription of `callback` to `topicUrl` whose lease still runs (what a replay needs). */
export async function findLiveSubscription(db: Queryable, topicUrl: string, callback: string): Promise<Subscription | undefined> {
  const { rows } = await db.query(
    `
    select s.* from subscriptions s join topics t on t.id = s.topic_id
    where t.url = $1 and s.callback = $2 and s.expires_at > now()`,
    [topicUrl, callback],
  );
  return rows[0] ? subscriptionFromRow(rows[0]) : undefined;
}

/** Pending initial deliveries asked for more than `olderThanSeconds` ago (the sweep queues them again; job ids dedupe). */
export async function listPendingInitials(db: Queryable, olderThanSeconds: number, limit = 1000): Promise<PendingInitial[]> {
  const { rows } = await db.query(
    `
    select id, initial_requested_at from subscriptions
    where initial_count is not null and initial_requested_at < now() - make_interval(secs => $1)
    order by initial_requested_at limit $2`,
    [olderThanSeconds, limit],
  );
  return rows.map((r) => ({ subscriptionId: Number(r.id), requestedAt: r.initial_requested_at }));
}

/** Settles one pending initial delivery (delivered, given up, or nothing to send); a newer request's stays. */
export async function clearPendingInitial(db: Queryable, initial: PendingInitial): Promise<void> {
  await db.query('update subscriptions set initial_count = null, initial_requested_at = null where id = $1 and initial_requested_at = $2', [
    initial.subscriptionId,
    initial.requestedAt,
  ]);
}

export async function deleteSubscription(db: Queryable, topicId: number, callback: string): Promise<boolean> {
  const result = await db.query('delete from subscriptions where topic_id = $1 and callback = $2', [topicId, callback]);
  return (result.rowCount ?? 0) > 0;
}

export async function deleteSubscriptionById(db: Queryable, id: number): Promise<void> {
  await db.query('delete from subscriptions where id = $1', [id]);
}

/** The same page, found through the notification (so it can be read alongside it). */
export async function listDeliveryTargetsForNotification(
  db: Queryable,
  notificationId: number,
  afterId: number,
  limit: number,
): Promise<DeliveryTarget[]> {
  const { rows } = await db.query(
    `
    select s.id, s.callback, s.secret, s.signature_algorithm as "signatureAlgorithm", s.format, ${pausedHostSql('s.callback')} as paused
    from subscriptions s
    join notifications n on n.topic_id = s.topic_id
    where n.id = $1 and s.id > $2 and s.expires_at > now()
    order by s.id limit $3`,
    [notificationId, afterId, limit],
  );
  return rows;
}

export interface DeliveryOutcome {
  subscriptionId: number;
  status: 'delivered' | 'retrying' | 'dropped' | 'gone';
  error: string | null;
  nextRetryAt: Date | null;
}

/** Attempts made by one page (or retry), added to the console's per-minute counts. */
export interface AttemptCounts {
  delivered: number;
  failed: number;
}

/** Rows per minute in delivery_counts: concurrent pages spread over them instead of waiting on one row lock. */
const COUNT_SLOTS = 4;

/** What one page (or retry) of deliveries leaves on its subscriptions. */
export interface PageOutcomes {
  outcomes: DeliveryOutcome[];
  /** A notification whose first page this was, now handed over (see extendNotificationClaim). */
  handedOverNotificationId?: number;
  /** Added to the current minute's delivery counts. */
  counts: AttemptCounts;
}

/**
 * One statement for the outcomes of many pages: per-delivery writes are
 * batched, and so are concurrent pages. The hand-overs and the minute's
 * counts ride in the same round trip.
 */
export async function recordDeliveryOutcomes(db: Queryable, pages: PageOutcomes[]): Promise<void> {
  // One row per subscription: of two pages for the same subscriber in one batch, the later one's outcome stands.
  const outcomes = [...new Map(pages.flatMap((p) => p.outcomes).map((o) => [o.subscriptionId, o])).values()];
  const handedOver = pages.flatMap((p) => (p.handedOverNotificationId === undefined ? [] : [p.handedOverNotificationId]));
  if (outcomes.length === 0 && handedOver.length === 0) return;
  const delivered = pages.reduce((sum, p) => sum + p.counts.delivered, 0);
  const failed = pages.reduce((sum, p) => sum + p.counts.failed, 0);
  await db.query(
    `
    with handed_over as (update notifications set enqueued_at = now() where id = any($5::bigint[])),
    counted as (
      insert into delivery_counts (minute, slot, delivered, failed)
      select date_trunc('minute', now()), $6, $7, $8 where $7::int + $8::int > 0
      on conflict (minute, slot) do update set
        delivered = delivery_counts.delivered + excluded.delivered, failed = delivery_counts.failed + excluded.failed)
    update subscriptions s set
      last_delivery_at = now(),
      last_delivery_status = o.status,
      last_delivery_error = o.error,
      next_retry_at = o.next_retry_at
    from unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) as o(id, status, error, next_retry_at)
    where s.id = o.id`,
    [
      outcomes.map((o) => o.subscriptionId),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.error),
      outcomes.map((o) => o.nextRetryAt),
      handedOver,
      Math.floor(Math.random() * COUNT_SLOTS),
      delivered,
      failed,
    ],
  );
}

/**
 * Subscriptions with less than `percent` of their lease left, not yet asked
 * since their last verification, become subscribe intents (H16): the usual
 * verification then renews the lease, or the subscriber declines and it runs
 * out. Returns the new intents' ids.
 */
export async function requestReconfirmations(db: Queryable, percent: number, limit: number, leaseMaxSeconds: number): Promise<number[]> {
  const { rows } = await db.query(
    `
    with due as (
      update subscriptions s set reconfirm_requested_at = now()
      where s.id in (
        select id from subscriptions
        -- the first bound lets the expires_at index skip leases far from their end
        where expires_at > now() and expires_at < now() + make_interval(secs => $3::int * $1::int / 100.0)
          and expires_at < now() + make_interval(secs => lease_seconds * $1::int / 100.0)
          and (reconfirm_requested_at is null or reconfirm_requested_at < verified_at)
        order by expires_at limit $2)
      returning s.topic_id, s.callback, s.secret, s.signature_algorithm, s.lease_seconds
    )
    insert into intents (topic_url, callback, mode, secret, signature_algorithm, lease_seconds)
    select t.url, due.callback, 'subscribe', due.secret, due.signature_algorithm, due.lease_seconds
    from due join topics t on t.id = due.topic_id
    returning id`,
    [percent, limit, leaseMaxSeconds],
  );
  return rows.map((r) => r.id as number);
}

/** WebSub §5.3: leases end; expired subscriptions are removed. */
export async function deleteExpiredSubscriptions(db: Queryable): Promise<number> {
  const result = await db.query('delete from subscriptions where expires_at <= now()');
  return result.rowCount ?? 0;
}
