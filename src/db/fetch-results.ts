import { pollColumns, pollParams, type PollRecord } from './poll.js';
import type { Queryable } from './pool.js';
import { pausedHostSql } from './pauses.js';
import type { DeliveryTarget } from './subscriptions.js';

/** What a successful fetch of a changed body leaves behind. */
export interface FetchResult {
  topicId: number;
  /** When the fetch started: a publish mark older than this was served by it. */
  startedAt: Date;
  status: number;
  etag: string | null;
  lastModified: string | null;
  /** Hash and type of the body as fetched. */
  bodyHash: string;
  contentType: string | null;
  parseError: string | null;
  /** Every entry the topic carries now, for the next diff. */
  entries: Array<{ key: string; contentHash: string }>;
  /** The topic's next poll and why. */
  poll: PollRecord;
}

/** The content to deliver, stored once by hash, and its counts for X-Crier-Entries. */
export interface NewContent {
  hash: string;
  contentType: string;
  body: Buffer;
  newEntries: number;
  updatedEntries: number;
  /** Keys of the entries that are changed versions of ones delivered before (the rest are new). */
  updatedKeys: string[];
  /** How long the storing job claims the first page for itself (see extendNotificationClaim). */
  claimSeconds: number;
}

// Shared CTEs: remember the entries, record the fetch. Params $1..$10, and the poll record's from `pollFirst`.
const seenAndFetched = (pollFirst: number) => `
  seen as (
    insert into seen_entries (topic_id, entry_key, content_hash)
    select $1, k, h from unnest($2::text[], $3::text[]) as e(k, h)
    on conflict (topic_id, entry_key) do update set content_hash = excluded.content_hash, last_seen_at = now()
  ),
  fetched as (
    update topics set
      last_fetch_at = now(), last_fetch_status = $4, last_fetch_error = null,
      etag = $5, last_modified = $6, content_hash = $7, content_type = $8, parse_error = $9,
      fetch_requested_at = case when fetch_requested_at <= $10 then null else fetch_requested_at end,
      ${pollColumns(pollFirst)}
    where id = $1
  )`;

function params(result: FetchResult): unknown[] {
  return [
    result.topicId,
    result.entries.map((e) => e.key),
    result.entries.map((e) => e.contentHash),
    result.status,
    result.etag,
    result.lastModified,
    result.bodyHash,
    result.contentType,
    result.parseError,
    result.startedAt,
  ];
}

/**
 * The advisory lock every notification insert takes before its id is drawn and
 * holds until its statement commits: notification ids (the update log's
 * sequence ids) therefore become visible in id order, across all topics and
 * worker processes, and a reader that sees id N has every lower id it will ever
 * see. It is held from that insert to the statement's commit, so stores of new
 * content commit one at a time; fetching, parsing and diffing stay concurrent.
 */
const UPDATE_LOG_LOCK = "hashtext('crier.update-log')";

/**
 * Content, notification, seen entries and fetch record in one statement:
 * they land together without a transaction's extra round trips. Returns the
 * notification id and, read in the same round trip because it is on the path
 * from ping to delivery, the first `pageSize` subscribers to deliver it to.
 * The notification's id is drawn under UPDATE_LOG_LOCK (the subquery runs
 * before the insert's id default: a volatile subquery is not flattened).
 */
export async function recordFetchWithContent(
  db: Queryable,
  result: FetchResult,
  content: NewContent,
  pageSize: number,
): Promise<{ notificationId: number; firstPage: DeliveryTarget[] }> {
  const { rows } = await db.query(
    `
    with ${seenAndFetched(19)},
    stored as (
      insert into contents (hash, content_type, body) values ($11, $12, $13) on conflict (hash) do nothing
    ),
    notification as (
      insert into notifications (topic_id, content_hash, new_entries, updated_entries, claimed_until, updated_keys)
      select $1, $11, $14, $15, now() + make_interval(secs => $16), $18::text[]
      from (select pg_advisory_xact_lock(${UPDATE_LOG_LOCK})) ordered
      returning id
    )
    select notification.id, coalesce((
      select json_agg(
        json_build_object(
          'id', s.id, 'callback', s.callback, 'secret', s.secret, 'signatureAlgorithm', s.signature_algorithm, 'format', s.format,
          'paused', ${pausedHostSql('s.callback')}
        ) order by s.id
      )
      from (
        select id, callback, secret, signature_algorithm, format from subscriptions
        where topic_id = $1 and expires_at > now() order by id limit $17
      ) s
    ), '[]') as first_page
    from notification`,
    [
      ...params(result),
      content.hash,
      content.contentType,
      content.body,
      content.newEntries,
      content.updatedEntries,
      content.claimSeconds,
      pageSize,
      content.updatedKeys,
      ...pollParams(result.poll),
    ],
  );
  return { notificationId: rows[0].id, firstPage: rows[0].first_page };
}

/** A changed body that carries nothing new: seen entries and fetch record in one statement. */
export async function recordFetchWithoutContent(db: Queryable, result: FetchResult): Promise<void> {
  await db.query(`with ${seenAndFetched(11)} select 1`, [...params(result), ...pollParams(result.poll)]);
}

/** Which entries one topic's document carries: the keys whose history a fetch needs. */
export interface SeenLookup {
  topicId: number;
  keys: string[];
}

/**
 * For each lookup, key -> content hash of those of its keys the topic has
 * carried before: a fetch reads only the history of what its document holds,
 * and concurrent fetches share one statement.
 */
export async function loadSeenEntries(db: Queryable, lookups: SeenLookup[]): Promise<Array<Map<string, string>>> {
  const topicIds = lookups.flatMap((l) => l.keys.map(() => l.topicId));
  if (topicIds.length === 0) return lookups.map(() => new Map());
  const { rows } = await db.query(
    `select s.topic_id, s.entry_key, s.content_hash
     from unnest($1::bigint[], $2::text[]) as k(topic_id, entry_key)
     join seen_entries s on s.topic_id = k.topic_id and s.entry_key = k.entry_key`,
    [topicIds, lookups.flatMap((l) => l.keys)],
  );
  const byTopic = new Map<number, Map<string, string>>();
  for (const r of rows) {
    const topicId = Number(r.topic_id);
    let seen = byTopic.get(topicId);
    if (!seen) byTopic.set(topicId, (seen = new Map()));
    seen.set(r.entry_key as string, r.content_hash as string);
  }
  // Two fetches of one topic in a batch each get the history of their own keys only.
  return lookups.map((l) => {
    const seen = byTopic.get(l.topicId);
    return new Map(l.keys.flatMap((k) => (seen?.has(k) ? [[k, seen.get(k)!] as const] : [])));
  });
}

/**
 * Bounds what a topic remembers to `max` entries once this fetch's are stored:
 * the entries of the current document (`keep`) stay, and of the others only
 * the most recently seen that still fit.
 */
export async function pruneSeenEntries(db: Queryable, topicId: number, max: number, keep: string[]): Promise<void> {
  await db.query(
    `
    delete from seen_entries where topic_id = $1 and entry_key in (
      select entry_key from seen_entries where topic_id = $1 and entry_key <> all($3::text[])
      order by last_seen_at desc, entry_key offset $2)`,
    [topicId, Math.max(0, max - keep.length), keep],
  );
}

/** Forgets entries of every topic not seen for `days` (run by the sweep). */
export async function deleteStaleSeenEntries(db: Queryable, days: number): Promise<number> {
  const result = await db.query('delete from seen_entries where last_seen_at < now() - make_interval(days => $1)', [days]);
  return result.rowCount ?? 0;
}
