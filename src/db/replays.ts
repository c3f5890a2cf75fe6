import type pg from 'pg';
import { withTransaction, type Queryable } from './pool.js';

/** The window HUB_REPLAY_PER_HOUR counts in, and the longest a replay holds its subscription's one slot. */
export const REPLAY_WINDOW_MS = 60 * 60 * 1000;

/** A replay accepted (its row's id), or why not and when to ask again (ms from `nowMs`). */
export type ReplayClaim = { ok: true; id: number } | { ok: false; reason: 'running' | 'hourly'; retryAfterMs: number };

/** How long a refused requester is told to wait while another replay runs: its deliveries usually settle sooner. */
const RUNNING_RETRY_MS = 60_000;

/**
 * Records a replay of `notificationIds` to subscription `subscriptionId` unless one of its replays is
 * still running (asked for within the window with notifications left to settle) or `perHour` were asked
 * for in the last hour. The subscription's row lock serialises the check and the insert across web
 * processes; each statement of the transaction then sees what the previous holder committed.
 */
export async function claimReplay(
  pool: pg.Pool,
  subscriptionId: number,
  notificationIds: number[],
  nowMs: number,
  perHour: number,
): Promise<ReplayClaim> {
  return withTransaction(pool, async (tx) => {
    await tx.query('select id from subscriptions where id = $1 for update', [subscriptionId]);
    const since = nowMs - REPLAY_WINDOW_MS;
    const { rows } = await tx.query(
      `
      select count(*)::int as recent, min(requested_ms)::float8 as oldest,
        coalesce(bool_or(cardinality(remaining) > 0), false) as running
      from replays where subscription_id = $1 and requested_ms > $2`,
      [subscriptionId, since],
    );
    const { recent, oldest, running } = rows[0] as { recent: number; oldest: number | null; running: boolean };
    if (running) return { ok: false, reason: 'running', retryAfterMs: RUNNING_RETRY_MS };
    if (recent >= perHour)
      return { ok: false, reason: 'hourly', retryAfterMs: Math.max(1000, (oldest ?? nowMs) + REPLAY_WINDOW_MS - nowMs) };
    // Rows past the window count for nothing any more.
    await tx.query('delete from replays where subscription_id = $1 and requested_ms <= $2', [subscriptionId, since]);
    const inserted = await tx.query(
      'insert into replays (subscription_id, requested_ms, remaining) values ($1, $2, $3::bigint[]) returning id',
      [subscriptionId, nowMs, notificationIds],
    );
    return { ok: true, id: Number(inserted.rows[0].id) };
  });
}

/** Frees a replay whose jobs could not be queued: it sends nothing, so it neither runs nor counts. */
export async function deleteReplay(db: Queryable, id: number): Promise<void> {
  await db.query('delete from replays where id = $1', [id]);
}

/** One notification of a replay is settled (delivered, given up, or no longer deliverable); idempotent. */
export async function settleReplayedNotification(
  db: Queryable,
  subscriptionId: number,
  requestedMs: number,
  notificationId: number,
): Promise<void> {
  await db.query('update replays set remaining = array_remove(remaining, $3::bigint) where subscription_id = $1 and requested_ms = $2', [
    subscriptionId,
    requestedMs,
    notificationId,
  ]);
}

/** Rows older than the window: neither running nor counted (the sweep's). */
export async function deleteOldReplays(db: Queryable, nowMs: number): Promise<void> {
  await db.query('delete from replays where requested_ms <= $1', [nowMs - REPLAY_WINDOW_MS]);
}
