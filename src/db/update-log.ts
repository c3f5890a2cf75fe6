import type { Queryable } from './pool.js';

/** One notification read back from a topic's update log, with the body it carried. */
export interface LogEntry {
  /** The sequence id: the notification's id, growing across all topics. */
  seq: number;
  topicId: number;
  topicUrl: string;
  newEntries: number;
  updatedEntries: number;
  createdAt: Date;
  contentType: string;
  body: Buffer;
  /** Keys of its entries that were changed versions of earlier ones; null when not recorded. */
  updatedKeys: string[] | null;
}

const COLUMNS =
  'n.id, n.topic_id, t.url as topic_url, n.new_entries, n.updated_entries, n.updated_keys, n.created_at, c.content_type, c.body';
const JOINS = 'join topics t on t.id = n.topic_id join contents c on c.hash = n.content_hash';
const SELECT = `select ${COLUMNS} from notifications n ${JOINS}`;

function toEntry(row: Record<string, any>): LogEntry {
  return {
    seq: Number(row.id),
    topicId: Number(row.topic_id),
    topicUrl: row.topic_url,
    newEntries: row.new_entries,
    updatedEntries: row.updated_entries,
    createdAt: row.created_at,
    contentType: row.content_type,
    body: row.body,
    updatedKeys: row.updated_keys,
  };
}

/** The newest `limit` updates of a topic, newest first, optionally only those older than `before`. */
export async function readLatestUpdates(db: Queryable, topicId: number, limit: number, before?: number): Promise<LogEntry[]> {
  const { rows } = await db.query(`${SELECT} where n.topic_id = $1 and ($2::bigint is null or n.id < $2) order by n.id desc limit $3`, [
    topicId,
    before ?? null,
    limit,
  ]);
  return rows.map(toEntry);
}

/** Updates of any of `topicIds` newer than `after`, oldest first (what a resumed stream or a long-poll is owed). */
export async function readUpdatesAfter(db: Queryable, topicIds: number[], after: number, limit: number): Promise<LogEntry[]> {
  const { rows } = await db.query(`${SELECT} where n.topic_id = any($1::bigint[]) and n.id > $2 order by n.id limit $3`, [
    topicIds,
    after,
    limit,
  ]);
  return rows.map(toEntry);
}

/** Updates read under a byte budget, and whether the budget left out some the read would otherwise have held. */
export interface LogPage {
  entries: LogEntry[];
  capped: boolean;
}

/**
 * The rows of `picked` (a statement over notifications `n` joined to contents `c`, ordered, limited, selecting
 * `n.id` and `size`) whose bodies add up to at most `$maxBytes` in that order, and always the first: only their
 * bodies are read. `available` is how many the limit alone would have given.
 */
const withinBudget = (picked: string, order: 'asc' | 'desc', maxBytesParam: string) => `
  with picked as (${picked}),
  sized as (
    select id, sum(size) over (order by id ${order} rows unbounded preceding) as total,
      row_number() over (order by id ${order}) as rn, count(*) over () as available
    from picked
  )
  select ${COLUMNS}, s.available from sized s join notifications n on n.id = s.id ${JOINS}
  where s.rn = 1 or s.total <= ${maxBytesParam}
  order by n.id ${order}`;

function toPage(rows: Array<Record<string, any>>): LogPage {
  return { entries: rows.map(toEntry), capped: rows.length > 0 && rows.length < Number(rows[0].available) };
}

/** `readLatestUpdates` holding at most `maxBytes` of stored bodies (at least one update). */
export async function readLatestPage(
  db: Queryable,
  topicId: number,
  limit: number,
  before: number | undefined,
  maxBytes: number,
): Promise<LogPage> {
  const picked = `
    select n.id, octet_length(c.body) as size from notifications n join contents c on c.hash = n.content_hash
    where n.topic_id = $1 and ($2::bigint is null or n.id < $2) order by n.id desc limit $3`;
  const { rows } = await db.query(withinBudget(picked, 'desc', '$4'), [topicId, before ?? null, limit, maxBytes]);
  return toPage(rows);
}

/** `readUpdatesAfter` holding at most `maxBytes` of stored bodies (at least one update). */
export async function readPageAfter(db: Queryable, topicIds: number[], after: number, limit: number, maxBytes: number): Promise<LogPage> {
  const picked = `
    select n.id, octet_length(c.body) as size from notifications n join contents c on c.hash = n.content_hash
    where n.topic_id = any($1::bigint[]) and n.id > $2 order by n.id limit $3`;
  const { rows } = await db.query(withinBudget(picked, 'asc', '$4'), [topicIds, after, limit, maxBytes]);
  return toPage(rows);
}

/** An update of the log named without its body: what a resuming stream reads first. */
export interface LogRef {
  seq: number;
  topicId: number;
}

/** `readPageAfter` without the bodies: the updates' ids and topics, HUB_RETRIEVE_MAX_BYTES of bodies' worth. */
export async function readRefsAfter(
  db: Queryable,
  topicIds: number[],
  after: number,
  limit: number,
  maxBytes: number,
): Promise<{ refs: LogRef[]; capped: boolean }> {
  const { rows } = await db.query(
    `
    select id, topic_id, available from (
      select n.id, n.topic_id, sum(octet_length(c.body)) over (order by n.id rows unbounded preceding) as total,
        row_number() over (order by n.id) as rn, count(*) over () as available
      from (select * from notifications where topic_id = any($1::bigint[]) and id > $2 order by id limit $3) n
      join contents c on c.hash = n.content_hash
    ) r where rn = 1 or total <= $4 order by id`,
    [topicIds, after, limit, maxBytes],
  );
  const refs = rows.map((r) => ({ seq: Number(r.id), topicId: Number(r.topic_id) }));
  return { refs, capped: rows.length > 0 && rows.length < Number(rows[0].available) };
}

/** One update of the log with its body; undefined once retention dropped it. */
export async function readUpdate(db: Queryable, seq: number): Promise<LogEntry | undefined> {
  const { rows } = await db.query(`${SELECT} where n.id = $1`, [seq]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

/** The newest sequence id of each of `topicIds` (0 for a topic with an empty log). */
export async function newestSeqs(db: Queryable, topicIds: number[]): Promise<Map<number, number>> {
  const { rows } = await db.query(
    'select t.id, coalesce(max(n.id), 0) as seq from unnest($1::bigint[]) as t(id) ' +
      'left join notifications n on n.topic_id = t.id group by t.id',
    [topicIds],
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.seq)]));
}

/**
 * Trims every topic's log to its newest `maxEntries` entries (a notification
 * counts its new plus updated entries, a whole-body one counts one) and to
 * `days`. A notification still being handed out (first page unqueued, or a
 * delivery still retrying) stays until that is settled. Then the bodies no
 * notification refers to go.
 */
export async function pruneUpdateLog(db: Queryable, maxEntries: number, days: number): Promise<number> {
  const { rowCount } = await db.query(
    `
    delete from notifications n using (
      select id, created_at,
        sum(greatest(new_entries + updated_entries, 1)) over (partition by topic_id order by id desc)
          - greatest(new_entries + updated_entries, 1) as newer
      from notifications
    ) r
    where n.id = r.id and (r.newer >= $1 or r.created_at < now() - make_interval(days => $2))
      and n.enqueued_at is not null
      and not exists (select 1 from deliveries d where d.notification_id = n.id and d.status = 'retrying')`,
    [maxEntries, days],
  );
  // A body just stored for a notification being inserted is younger than a minute: left alone.
  await db.query(`
    delete from contents c where c.created_at < now() - interval '1 minute'
      and not exists (select 1 from notifications n where n.content_hash = c.hash)`);
  return rowCount ?? 0;
}
