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
