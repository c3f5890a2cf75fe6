import type { Queryable } from './pool.js';

/** entry key -> content hash of every entry remembered for the topic. */
export async function loadSeenEntries(db: Queryable, topicId: number): Promise<Map<string, string>> {
  const { rows } = await db.query('select entry_key, content_hash from seen_entries where topic_id = $1', [topicId]);
  return new Map(rows.map((r) => [r.entry_key, r.content_hash]));
}

/**
 * Remembers the entries the topic carries now and forgets the oldest beyond
 * the retention bounds, so seen state per topic stays bounded.
 */
export async function rememberEntries(
  db: Queryable,
  topicId: number,
  entries: Array<{ key: string; contentHash: string }>,
  retention: { max: number; days: number },
): Promise<void> {
  if (entries.length > 0) {
    await db.query(
      `
      insert into seen_entries (topic_id, entry_key, content_hash)
      select $1, k, h from unnest($2::text[], $3::text[]) as e(k, h)
      on conflict (topic_id, entry_key) do update set content_hash = excluded.content_hash, last_seen_at = now()`,
      [topicId, entries.map((e) => e.key), entries.map((e) => e.contentHash)],
    );
  }
  await db.query(
    `
    delete from seen_entries where topic_id = $1 and (
      last_seen_at < now() - make_interval(days => $3)
      or entry_key in (
        select entry_key from seen_entries where topic_id = $1
        order by last_seen_at desc, entry_key offset $2))`,
    [topicId, retention.max, retention.days],
  );
}
