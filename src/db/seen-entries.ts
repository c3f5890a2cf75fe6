import type { Queryable } from './pool.js';

/** entry key -> content hash of every entry remembered for the topic. */
export async function loadSeenEntries(db: Queryable, topicId: number): Promise<Map<string, string>> {
  const { rows } = await db.query('select entry_key, content_hash from seen_entries where topic_id = $1', [topicId]);
  return new Map(rows.map((r) => [r.entry_key, r.content_hash]));
}
