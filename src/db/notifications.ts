import type { Queryable } from './pool.js';

/** One fan-out of one content to a topic's subscribers. */
export interface Notification {
  id: number;
  topicId: number;
  topicUrl: string;
  contentHash: string;
  newEntries: number;
  updatedEntries: number;
  /** Keys of its entries that were changed versions of earlier ones; null when not recorded (older rows). */
  updatedKeys: string[] | null;
}

export async function findNotificationById(db: Queryable, id: number): Promise<Notification | undefined> {
  const { rows } = await db.query(
    `
    select n.id, n.topic_id, t.url as topic_url, n.content_hash, n.new_entries, n.updated_entries, n.updated_keys
    from notifications n join topics t on t.id = n.topic_id
    where n.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    topicId: row.topic_id,
    topicUrl: row.topic_url,
    contentHash: row.content_hash,
    newEntries: row.new_entries,
    updatedEntries: row.updated_entries,
    updatedKeys: row.updated_keys,
  };
}

export async function markNotificationEnqueued(db: Queryable, id: number): Promise<void> {
  await db.query('update notifications set enqueued_at = now() where id = $1', [id]);
}

/** Keeps the fetch job's claim on delivering the first page itself alive while it runs. */
export async function extendNotificationClaim(db: Queryable, id: number, seconds: number): Promise<void> {
  await db.query('update notifications set claimed_until = now() + make_interval(secs => $2) where id = $1 and enqueued_at is null', [
    id,
    seconds,
  ]);
}

/** Notifications committed but never handed to the deliver queue, and whose claim lapsed (the process died in between). */
export async function listUnqueuedNotifications(db: Queryable, olderThanSeconds: number, limit = 1000): Promise<number[]> {
  const { rows } = await db.query(
    `
    select id from notifications
    where enqueued_at is null and created_at < now() - make_interval(secs => $1) and (claimed_until is null or claimed_until < now())
    order by id limit $2`,
    [olderThanSeconds, limit],
  );
  return rows.map((r) => r.id);
}

/** Ids of a topic's newest `count` notifications still in its log, oldest first (what a replay re-sends). */
export async function listLatestNotificationIds(db: Queryable, topicId: number, count: number): Promise<number[]> {
  const { rows } = await db.query('select id from notifications where topic_id = $1 order by id desc limit $2', [topicId, count]);
  return rows.map((r) => Number(r.id)).reverse();
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
