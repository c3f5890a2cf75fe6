import { pollColumns, pollParams, type PollRecord } from './poll.js';
import type { Queryable } from './pool.js';
import { pausedHostSql } from './pauses.js';
import type { DeliveryTarget } from './subscriptions.js';

/** One seen entry: the hash of its bytes and its canonical fingerprint (null: stored before there were any). */
export interface SeenEntryRow {
  contentHash: string;
  meaning: string | null;
}

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
  entries: Array<{ key: string; contentHash: string; meaning?: string | null }>;
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
  /** For each of `updatedKeys`, the fields that changed, comma-separated. */
  updatedFields?: string[];
  /** How long the storing job claims the first page for itself (see extendNotificationClaim). */
  claimSeconds: number;
}

// Shared CTEs: remember the entries, record the fetch. Params $1..$11, and the poll record's from `pollFirst`.
const seenAndFetched = (pollFirst: number) => `
  seen as (
    insert into seen_entries (topic_id, entry_key, content_hash, meaning)
    select $1, k, h, m from unnest($2::text[], $3::text[], $11::text[]) as e(k, h, m)
    on conflict (topic_id, entry_key) do update set content_hash = excluded.content_hash, meaning = excluded.meaning, last_seen_at = now()
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
    result.entries.map((e) => e.meaning ?? null),
  ];
}

/**
 * The advisory lock every notification insert takes before its id is drawn and
 * holds until its statement commits: notification ids (the update log's
 * sequence ids) therefore become visible in id order, across all topics and
 * worker processes, and a reader that sees id N has every lower id it will ever
 * see. It is held from that insert to the statement's commit, so stores of new
 * content commit one batch at a time (see recordFetchesWithContent); fetching,
 * parsing and diffing stay concurrent.
 */
const UPDATE_LOG_LOCK = "hashtext('crier.update-log')";

/** One fetch's changed body to store: what the fetch found and the content it delivers. */
export interface ContentStore {
  result: FetchResult;
  content: NewContent;
}

/** The stored notification and, read in the same round trip, the first page of subscribers to deliver it to. */
export interface StoredContent {
  notificationId: number;
  firstPage: DeliveryTarget[];
}

/** recordFetchesWithContent's one statement; `r` holds one row per store, `i` its index. */
const WITH_CONTENT_SQL = `
    with r as (
      select * from unnest(
        $1::int[], $2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
        $10::text[], $11::text[], $12::bytea[], $13::int[], $14::int[], $15::float8[],
        $16::text[], $17::int[], $18::text[], $19::int[], $20::int[], $21::timestamptz[], $22::boolean[], $23::boolean[], $24::int[]
      ) as r(
        i, topic_id, status, etag, last_modified, body_hash, content_type, parse_error, started_at,
        c_hash, c_type, c_body, new_entries, updated_entries, claim_seconds,
        p_source, p_interval, p_reason, p_failures, p_missed, p_next, p_changed, p_has_refresh, p_refresh
      )
    ),
    seen as (
      insert into seen_entries (topic_id, entry_key, content_hash, meaning)
      select r.topic_id, e.k, e.h, e.m from unnest($25::int[], $26::text[], $27::text[], $31::text[]) as e(i, k, h, m) join r on r.i = e.i
      on conflict (topic_id, entry_key) do update
        set content_hash = excluded.content_hash, meaning = excluded.meaning, last_seen_at = now()
    ),
    fetched as (
      update topics t set
        last_fetch_at = now(), last_fetch_status = r.status, last_fetch_error = null,
        etag = r.etag, last_modified = r.last_modified, content_hash = r.body_hash, content_type = r.content_type,
        parse_error = r.parse_error,
        fetch_requested_at = case when t.fetch_requested_at <= r.started_at then null else t.fetch_requested_at end,
        last_fetch_source = r.p_source,
        poll_interval_seconds = r.p_interval,
        poll_reason = r.p_reason,
        poll_failures = r.p_failures,
        missed_by_ping = t.missed_by_ping + r.p_missed,
        poll_at = case when t.poll_at is null then null else r.p_next end,
        last_change_at = case when r.p_changed then now() else t.last_change_at end,
        feed_refresh_seconds = case when r.p_has_refresh then r.p_refresh else t.feed_refresh_seconds end
      from r where t.id = r.topic_id
    ),
    stored as (
      insert into contents (hash, content_type, body)
      select distinct on (c_hash) c_hash, c_type, c_body from r order by c_hash
      on conflict (hash) do nothing
    ),
    notification as (
      insert into notifications (topic_id, content_hash, new_entries, updated_entries, claimed_until, updated_keys, updated_fields)
      select r.topic_id, r.c_hash, r.new_entries, r.updated_entries, now() + make_interval(secs => r.claim_seconds),
        coalesce((select array_agg(u.k order by u.n)
          from unnest($28::int[], $29::text[]) with ordinality as u(i, k, n) where u.i = r.i), '{}'),
        coalesce((select array_agg(u.f order by u.n)
          from unnest($28::int[], $32::text[]) with ordinality as u(i, f, n) where u.i = r.i), '{}')
      from (select pg_advisory_xact_lock(${UPDATE_LOG_LOCK})) ordered, r
      order by r.i
      returning id, topic_id
    )
    select n.id, n.topic_id, coalesce((
      select json_agg(
        json_build_object(
          'id', s.id, 'callback', s.callback, 'secret', s.secret, 'signatureAlgorithm', s.signature_algorithm, 'format', s.format,
          'paused', ${pausedHostSql('s.callback')}
        ) order by s.id
      )
      from (
        select id, callback, secret, signature_algorithm, format from subscriptions
        where topic_id = n.topic_id and expires_at > now() order by id limit $30
      ) s
    ), '[]') as first_page
    from notification n`;

/**
 * Content, notification, seen entries and fetch record of many fetches in one
 * statement: they land together without a transaction's extra round trips,
 * and the update log's lock (UPDATE_LOG_LOCK) and commit are paid once for
 * the whole batch. The notifications' ids are drawn in the order of `stores`,
 * under the lock (the subquery runs before the insert's id default: a volatile
 * subquery is not flattened). Each answer carries, because it is on the path
 * from ping to delivery, the first `pageSize` subscribers of its topic. The
 * stores must be of distinct topics.
 */
export async function recordFetchesWithContent(db: Queryable, stores: ContentStore[], pageSize: number): Promise<StoredContent[]> {
  const { rows } = await db.query(WITH_CONTENT_SQL, withContentParams(stores, pageSize));
  const byTopic = new Map(
    rows.map((r) => [Number(r.topic_id), { notificationId: Number(r.id), firstPage: r.first_page as DeliveryTarget[] }]),
  );
  return stores.map((s) => byTopic.get(s.result.topicId)!);
}

/** WITH_CONTENT_SQL's parameters: one array per column of `r`, then the entries, the updated keys and the page size. */
function withContentParams(stores: ContentStore[], pageSize: number): unknown[] {
  const col = <T>(pick: (s: ContentStore, i: number) => T) => stores.map(pick);
  const entries = stores.flatMap((s, i) => s.result.entries.map((e) => [i, e.key, e.contentHash, e.meaning ?? null] as const));
  const updated = stores.flatMap((s, i) => s.content.updatedKeys.map((k, j) => [i, k, s.content.updatedFields?.[j] ?? ''] as const));
  return [
    col((_, i) => i),
    col((s) => s.result.topicId),
    col((s) => s.result.status),
    col((s) => s.result.etag),
    col((s) => s.result.lastModified),
    col((s) => s.result.bodyHash),
    col((s) => s.result.contentType),
    col((s) => s.result.parseError),
    col((s) => s.result.startedAt),
    col((s) => s.content.hash),
    col((s) => s.content.contentType),
    col((s) => s.content.body),
    col((s) => s.content.newEntries),
    col((s) => s.content.updatedEntries),
    col((s) => s.content.claimSeconds),
    col((s) => s.result.poll.source),
    col((s) => s.result.poll.intervalSeconds),
    col((s) => s.result.poll.reason),
    col((s) => s.result.poll.failures),
    col((s) => (s.result.poll.missedByPing ? 1 : 0)),
    col((s) => s.result.poll.nextPollAt),
    col((s) => s.result.poll.changed),
    col((s) => s.result.poll.feedRefreshSeconds !== undefined),
    col((s) => s.result.poll.feedRefreshSeconds ?? null),
    entries.map((e) => e[0]),
    entries.map((e) => e[1]),
    entries.map((e) => e[2]),
    updated.map((u) => u[0]),
    updated.map((u) => u[1]),
    pageSize,
    entries.map((e) => e[3]),
    updated.map((u) => u[2]),
  ];
}

/** A changed body that carries nothing new: seen entries and fetch record in one statement. */
export async function recordFetchWithoutContent(db: Queryable, result: FetchResult): Promise<void> {
  await db.query(`with ${seenAndFetched(12)} select 1`, [...params(result), ...pollParams(result.poll)]);
}

/** Which entries one topic's document carries: the keys whose history a fetch needs. */
export interface SeenLookup {
  topicId: number;
  keys: string[];
}

/**
 * For each lookup, key -> content hash and fingerprint of those of its keys the topic has
 * carried before: a fetch reads only the history of what its document holds,
 * and concurrent fetches share one statement.
 */
export async function loadSeenEntries(db: Queryable, lookups: SeenLookup[]): Promise<Array<Map<string, SeenEntryRow>>> {
  const topicIds = lookups.flatMap((l) => l.keys.map(() => l.topicId));
  if (topicIds.length === 0) return lookups.map(() => new Map());
  const { rows } = await db.query(
    `select s.topic_id, s.entry_key, s.content_hash, s.meaning
     from unnest($1::bigint[], $2::text[]) as k(topic_id, entry_key)
     join seen_entries s on s.topic_id = k.topic_id and s.entry_key = k.entry_key`,
    [topicIds, lookups.flatMap((l) => l.keys)],
  );
  const byTopic = new Map<number, Map<string, SeenEntryRow>>();
  for (const r of rows) {
    const topicId = Number(r.topic_id);
    let seen = byTopic.get(topicId);
    if (!seen) byTopic.set(topicId, (seen = new Map()));
    seen.set(r.entry_key as string, { contentHash: r.content_hash as string, meaning: (r.meaning as string | null) ?? null });
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
