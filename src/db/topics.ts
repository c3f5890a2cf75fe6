import type { Queryable } from './pool.js';
import { pollColumns, pollParams, type PollRecord } from './poll.js';

export interface Topic {
  id: number;
  url: string;
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
  contentType: string | null;
  lastFetchAt: Date | null;
  lastFetchStatus: number | null;
  lastFetchError: string | null;
  parseError: string | null;
  /** A ping's mark not yet served by a fetch. */
  fetchRequestedAt: Date | null;
  /** What caused the last fetch: a ping, the poll schedule, or the first fetch after the first subscription. */
  lastFetchSource: string | null;
  /** The poll schedule (migration 000009); pollAt null: not polled (no live subscription). */
  poll: {
    at: Date | null;
    intervalSeconds: number | null;
    reason: string | null;
    failures: number;
    pingsSeen: number;
    lastChangeAt: Date | null;
    feedRefreshSeconds: number | null;
    /** Polls that found content no ping announced: a publisher's broken hook. */
    missedByPing: number;
  };
  /** When an operator paused it (no fetches until resumed), or null. */
  pausedAt: Date | null;
}

/** A `topics` row (all columns) as a Topic: the one mapping every read of the table uses. */
export function topicFromRow(row: Record<string, any>): Topic {
  return {
    id: row.id,
    url: row.url,
    etag: row.etag,
    lastModified: row.last_modified,
    contentHash: row.content_hash,
    contentType: row.content_type,
    lastFetchAt: row.last_fetch_at,
    lastFetchStatus: row.last_fetch_status,
    lastFetchError: row.last_fetch_error,
    parseError: row.parse_error,
    fetchRequestedAt: row.fetch_requested_at,
    lastFetchSource: row.last_fetch_source,
    poll: {
      at: row.poll_at,
      intervalSeconds: row.poll_interval_seconds,
      reason: row.poll_reason,
      failures: row.poll_failures,
      pingsSeen: row.pings_seen,
      lastChangeAt: row.last_change_at,
      feedRefreshSeconds: row.feed_refresh_seconds,
      missedByPing: row.missed_by_ping,
    },
    pausedAt: row.paused_at ?? null,
  };
}

/**
 * The topic's id, inserting it when new. An existing row is only read, never
 * updated: `do update` row-locked the topic until the caller's transaction
 * ended, so concurrent verifications of one topic ran one at a time.
 */
export async function upsertTopic(db: Queryable, url: string): Promise<number> {
  for (;;) {
    const { rows } = await db.query(
      `
      with inserted as (insert into topics (url) values ($1) on conflict (url) do nothing returning id)
      select id from inserted union all select id from topics where url = $1
      limit 1`,
      [url],
    );
    // Empty only when a concurrent insert of the same URL committed after this statement's snapshot.
    if (rows[0]) return rows[0].id;
  }
}

/**
 * Marks each known topic as wanting a fetch; the mark survives a lost enqueue.
 * Topics come to exist when a subscription to them is verified, so pings for
 * unknown URLs cost nothing.
 */
export async function requestFetches(db: Queryable, urls: string[]): Promise<Array<{ id: number; url: string }>> {
  const { rows } = await db.query(
    `
    update topics set fetch_requested_at = now(), pings_seen = pings_seen + 1
    where url = any($1::text[])
    returning id, url`,
    [urls],
  );
  return rows;
}

/** A topic and how many entries it remembers (for the retention bound), in one round trip. */
/** The topics of `ids` with how many entries each remembers; a missing id (deleted since) is absent from the map. */
export async function findTopicsForFetch(db: Queryable, ids: number[]): Promise<Map<number, { topic: Topic; seenCount: number }>> {
  const { rows } = await db.query(
    'select t.*, (select count(*)::int from seen_entries where topic_id = t.id) as seen_count from topics t where t.id = any($1::bigint[])',
    [ids],
  );
  return new Map(rows.map((r) => [Number(r.id), { topic: topicFromRow(r), seenCount: r.seen_count as number }]));
}

export async function findTopicByUrl(db: Queryable, url: string): Promise<Topic | undefined> {
  const { rows } = await db.query('select * from topics where url = $1', [url]);
  return rows[0] ? topicFromRow(rows[0]) : undefined;
}

export interface FetchOutcome {
  status: number | null;
  error: string | null;
  etag?: string | null;
  lastModified?: string | null;
  contentHash?: string | null;
  contentType?: string | null;
  parseError?: string | null;
}

/**
 * Records a fetch and the topic's next poll; validators and hash change only when given.
 * `startedAt` clears the request mark it served.
 */
export async function recordFetch(db: Queryable, id: number, startedAt: Date, outcome: FetchOutcome, poll: PollRecord): Promise<void> {
  await db.query(
    `
    update topics set
      last_fetch_at = now(),
      last_fetch_status = $2,
      last_fetch_error = $3,
      etag = case when $4::boolean then $5 else etag end,
      last_modified = case when $4::boolean then $6 else last_modified end,
      content_hash = coalesce($7, content_hash),
      content_type = coalesce($8, content_type),
      parse_error = case when $7::text is null then parse_error else $9 end,
      fetch_requested_at = case when fetch_requested_at <= $10 then null else fetch_requested_at end,
      ${pollColumns(11)}
    where id = $1`,
    [
      id,
      outcome.status,
      outcome.error,
      outcome.etag !== undefined,
      outcome.etag ?? null,
      outcome.lastModified ?? null,
      outcome.contentHash ?? null,
      outcome.contentType ?? null,
      outcome.parseError ?? null,
      startedAt,
      ...pollParams(poll),
    ],
  );
}

/** Topics whose fetch was asked for but not served for a while: their enqueue may have been lost. A paused topic's waits for its resume. */
export async function listStaleFetchRequests(db: Queryable, olderThanSeconds: number, limit = 1000): Promise<number[]> {
  const { rows } = await db.query(
    `
    select id from topics
    where fetch_requested_at < now() - make_interval(secs => $1) and paused_at is null
    order by fetch_requested_at limit $2`,
    [olderThanSeconds, limit],
  );
  return rows.map((r) => r.id);
}

/** Id of each of `urls` the hub knows, by URL (a retrieve, long-poll or stream names its topics by URL). */
export async function findTopicIdsByUrls(db: Queryable, urls: string[]): Promise<Map<string, number>> {
  const { rows } = await db.query('select id, url from topics where url = any($1::text[])', [urls]);
  return new Map(rows.map((r) => [r.url as string, Number(r.id)]));
}
