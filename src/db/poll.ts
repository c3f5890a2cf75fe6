import type { Queryable } from './pool.js';

/** What a fetch leaves in a topic's poll schedule (see workers/poll-interval.ts). */
export interface PollRecord {
  source: 'ping' | 'poll' | 'subscribe';
  intervalSeconds: number;
  reason: string;
  failures: number;
  /** A poll found content a ping should have announced. */
  missedByPing: boolean;
  /** New content was found. */
  changed: boolean;
  nextPollAt: Date;
  /** The feed's own refresh hint, when this fetch parsed the feed (null: it gives none); undefined keeps the stored one. */
  feedRefreshSeconds?: number | null;
}

/**
 * The SQL assignments that store a PollRecord, its parameters numbered from `first`
 * (pollParams gives them in order). A topic nobody subscribes to (poll_at null) stays unscheduled.
 */
export function pollColumns(first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `
      last_fetch_source = ${p(0)},
      poll_interval_seconds = ${p(1)},
      poll_reason = ${p(2)},
      poll_failures = ${p(3)},
      missed_by_ping = missed_by_ping + ${p(4)}::int,
      poll_at = case when poll_at is null then null else ${p(5)}::timestamptz end,
      last_change_at = case when ${p(6)}::boolean then now() else last_change_at end,
      feed_refresh_seconds = case when ${p(7)}::boolean then ${p(8)}::int else feed_refresh_seconds end`;
}

export function pollParams(poll: PollRecord): unknown[] {
  return [
    poll.source,
    poll.intervalSeconds,
    poll.reason,
    poll.failures,
    poll.missedByPing ? 1 : 0,
    poll.nextPollAt,
    poll.changed,
    poll.feedRefreshSeconds !== undefined,
    poll.feedRefreshSeconds ?? null,
  ];
}

/**
 * Claims up to `limit` due topics for this scheduler, in one statement: the rows are
 * locked with SKIP LOCKED (so concurrent schedulers take different topics) and their
 * next poll is pushed a whole interval ahead in the same statement, so a topic is handed
 * out once per interval even if its fetch is lost (the fetch then sets the exact time).
 * A topic with no live subscription left leaves the schedule instead (poll_at null).
 * Returns the ids to fetch.
 */
export async function claimDueTopics(db: Queryable, limit: number, minSeconds: number): Promise<number[]> {
  const { rows } = await db.query(
    `
    with due as (
      select id from topics where poll_at <= now() order by poll_at limit $1 for update skip locked
    )
    update topics t set poll_at = case
        when exists (select 1 from subscriptions s where s.topic_id = t.id and s.expires_at > now())
        then now() + make_interval(secs => greatest(coalesce(t.poll_interval_seconds, $2::int), $2::int) * (0.9 + 0.2 * random()))
        else null end
    from due where t.id = due.id
    returning t.id, t.poll_at is not null as live`,
    [limit, minSeconds],
  );
  return rows.filter((r) => r.live).map((r) => Number(r.id));
}
