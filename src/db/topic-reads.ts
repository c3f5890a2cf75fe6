import type { Queryable } from './pool.js';
import { topicFromRow, type Topic } from './topics.js';

/**
 * The operator's reads of topics (the admin API and the console): each is a Topic, mapped by the
 * table's own topicFromRow, with its live subscription count.
 */
export type CountedTopic = Topic & { subscriptions: number };

const TOPIC_QUERY = `
  select t.*, (select count(*)::int from subscriptions s where s.topic_id = t.id and s.expires_at > now()) as subscriptions
  from topics t`;

function countedFromRow(r: Record<string, any>): CountedTopic {
  return { ...topicFromRow(r), subscriptions: r.subscriptions };
}

/** A keyset page of topics, or the one with `url`. */
export async function listTopics(db: Queryable, filter: { afterId: number; limit: number; url?: string }): Promise<CountedTopic[]> {
  const { rows } = await db.query(
    `
    ${TOPIC_QUERY}
    where t.id > $1 and ($3::text is null or t.url = $3)
    order by t.id limit $2`,
    [filter.afterId, filter.limit, filter.url ?? null],
  );
  return rows.map(countedFromRow);
}

export async function findCountedTopic(db: Queryable, id: number): Promise<CountedTopic | undefined> {
  const { rows } = await db.query(`${TOPIC_QUERY} where t.id = $1`, [id]);
  return rows[0] ? countedFromRow(rows[0]) : undefined;
}

/** A LIKE pattern matching `text` anywhere, its wildcards taken literally. */
export function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Topics whose URL contains `q` (all when empty); failing ones (fetch error or parse problem) when `failing`. */
export async function searchTopics(db: Queryable, filter: { q?: string; failing?: boolean; limit?: number }): Promise<CountedTopic[]> {
  const { rows } = await db.query(
    `
    ${TOPIC_QUERY}
    where ($1::text is null or t.url ilike $1)
      and (not $2::boolean or t.last_fetch_error is not null or t.parse_error is not null)
    order by case when $2::boolean then t.last_fetch_at end desc nulls last, t.id
    limit $3`,
    [filter.q ? contains(filter.q) : null, filter.failing ?? false, filter.limit ?? 100],
  );
  return rows.map(countedFromRow);
}
