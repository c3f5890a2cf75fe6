import type { Queryable } from './pool.js';

export type IntentMode = 'subscribe' | 'unsubscribe' | 'denied';

/** A subscribe/unsubscribe request accepted with 202, waiting for verification. */
export interface Intent {
  id: number;
  topicUrl: string;
  callback: string;
  mode: IntentMode;
  secret: string | null;
  leaseSeconds: number | null;
  verifyToken: string | null;
  reason: string | null;
  /** Null: the operator's HUB_SIGNATURE_ALGORITHM. */
  signatureAlgorithm: string | null;
  /** crier.format: `feed` or `json`; null keeps a renewed subscription's format (`feed` for a new one). */
  format: DeliveryFormat | null;
  /** crier.initial: entries to deliver right after verification; null or 0 for none. */
  initialCount: number | null;
}

/** How a subscription's deliveries are shaped: the topic's own document, or JSON Feed 1.1. */
export type DeliveryFormat = 'feed' | 'json';

function fromRow(row: Record<string, any>): Intent {
  return {
    id: row.id,
    topicUrl: row.topic_url,
    callback: row.callback,
    mode: row.mode,
    secret: row.secret,
    leaseSeconds: row.lease_seconds,
    verifyToken: row.verify_token,
    reason: row.reason,
    signatureAlgorithm: row.signature_algorithm,
    format: row.format,
    initialCount: row.initial_count,
  };
}

/** Stores several intents in one statement; ids come back in input order. */
export async function insertIntents(db: Queryable, intents: Array<Omit<Intent, 'id'>>): Promise<number[]> {
  const { rows } = await db.query(
    `
    insert into intents (topic_url, callback, mode, secret, lease_seconds, verify_token, reason, signature_algorithm, format, initial_count)
    select topic_url, callback, mode, secret, lease_seconds, verify_token, reason, signature_algorithm, format, initial_count
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[])
      with ordinality as i(
        topic_url, callback, mode, secret, lease_seconds, verify_token, reason, signature_algorithm, format, initial_count, n
      )
    order by n
    returning id`,
    [
      intents.map((i) => i.topicUrl),
      intents.map((i) => i.callback),
      intents.map((i) => i.mode),
      intents.map((i) => i.secret),
      intents.map((i) => i.leaseSeconds),
      intents.map((i) => i.verifyToken),
      intents.map((i) => i.reason),
      intents.map((i) => i.signatureAlgorithm),
      intents.map((i) => i.format),
      intents.map((i) => i.initialCount),
    ],
  );
  // Ids are drawn in insertion order, which follows `order by n`.
  return rows.map((r) => r.id as number).sort((a, b) => a - b);
}

export async function markIntentsEnqueued(db: Queryable, ids: number[]): Promise<void> {
  await db.query('update intents set enqueued_at = now() where id = any($1::bigint[])', [ids]);
}

export async function deleteIntent(db: Queryable, id: number): Promise<void> {
  await db.query('delete from intents where id = $1', [id]);
}

/** Intents whose verify job was never enqueued (the process died between 202 and enqueue). */
export async function listUnqueuedIntents(db: Queryable, olderThanSeconds: number, limit = 1000): Promise<number[]> {
  const { rows } = await db.query(
    `
    select id from intents where enqueued_at is null and created_at < now() - make_interval(secs => $1)
    order by id limit $2`,
    [olderThanSeconds, limit],
  );
  return rows.map((r) => r.id);
}

export async function findIntentsByIds(db: Queryable, ids: number[]): Promise<Intent[]> {
  const { rows } = await db.query('select * from intents where id = any($1::bigint[]) order by id', [ids]);
  return rows.map(fromRow);
}

export async function deleteIntents(db: Queryable, ids: number[]): Promise<void> {
  if (ids.length > 0) await db.query('delete from intents where id = any($1::bigint[])', [ids]);
}
