import type { Queryable } from './pool.js';

export type DeliveryStatus = 'retrying' | 'delivered' | 'dropped' | 'gone';

export interface DeliveryRecord {
  notificationId: number;
  subscriptionId: number;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  /** The HMAC its attempts were signed with; null when the subscription has no secret. */
  signatureAlgorithm: string | null;
}

/** Records the delivery attempts that did not succeed first time (and their later fate), batched. */
export async function recordDeliveries(db: Queryable, records: DeliveryRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `
    insert into deliveries (
      notification_id, subscription_id, status, attempts, last_status_code, last_error, next_attempt_at, signature_algorithm, history
    )
    select r.*, jsonb_build_array(
      jsonb_build_object('at', now(), 'attempt', r.attempts, 'status', r.status, 'code', r.code, 'error', r.error)
    )
    from unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[], $7::timestamptz[], $8::text[])
      as r(notification_id, subscription_id, status, attempts, code, error, next_attempt_at, signature_algorithm)
    on conflict (notification_id, subscription_id) do update set
      status = excluded.status, attempts = excluded.attempts, last_status_code = excluded.last_status_code,
      last_error = excluded.last_error, next_attempt_at = excluded.next_attempt_at,
      signature_algorithm = excluded.signature_algorithm, updated_at = now(),
      -- the console's attempt history: this attempt appended, the last 20 kept
      history = jsonb_path_query_array(deliveries.history || excluded.history, '$[last - 19 to last]')`,
    [
      records.map((r) => r.notificationId),
      records.map((r) => r.subscriptionId),
      records.map((r) => r.status),
      records.map((r) => r.attempts),
      records.map((r) => r.lastStatusCode),
      records.map((r) => r.lastError),
      records.map((r) => r.nextAttemptAt),
      records.map((r) => r.signatureAlgorithm),
    ],
  );
}

export async function listDeliveriesForSubscription(db: Queryable, subscriptionId: number, limit = 50): Promise<DeliveryRecord[]> {
  const { rows } = await db.query(
    `
    select * from deliveries where subscription_id = $1 order by updated_at desc limit $2`,
    [subscriptionId, limit],
  );
  return rows.map((r) => ({
    notificationId: r.notification_id,
    subscriptionId: r.subscription_id,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    signatureAlgorithm: r.signature_algorithm,
  }));
}

/** The recorded status of one delivery, if it was recorded. */
export async function findDeliveryStatus(
  db: Queryable,
  notificationId: number,
  subscriptionId: number,
): Promise<DeliveryStatus | undefined> {
  const { rows } = await db.query('select status from deliveries where notification_id = $1 and subscription_id = $2', [
    notificationId,
    subscriptionId,
  ]);
  return rows[0]?.status;
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
