import type { Queryable } from './pool.js';

/**
 * SQL: whether the host of the callback in `callback` (a column) is paused. Stored callbacks are
 * normal URLs (scheme://host[:port]/...), so the host is the text between '://' and the next '/', '?'
 * or '#'. The first, uncorrelated test runs once per statement, so with no pause (the usual case)
 * a page of deliveries pays nothing per row.
 */
export function pausedHostSql(callback: string): string {
  return `(exists (select 1 from paused_hosts) and exists (select 1 from paused_hosts ph where ph.host =
    split_part(split_part(split_part(split_part(${callback}, '://', 2), '/', 1), '?', 1), '#', 1)))`;
}

/** Whether the subscription's callback host is paused (a retry asks; pages read it with their targets). */
export async function isSubscriptionHostPaused(db: Queryable, subscriptionId: number): Promise<boolean> {
  const { rows } = await db.query(`select ${pausedHostSql('s.callback')} as paused from subscriptions s where s.id = $1`, [subscriptionId]);
  return rows[0]?.paused === true;
}

/** Callback hosts an operator paused (host as in a URL: name, and port when not the default). */
export async function listPausedHosts(db: Queryable): Promise<Array<{ host: string; pausedAt: Date }>> {
  const { rows } = await db.query('select host, paused_at from paused_hosts order by host limit 1000');
  return rows.map((r) => ({ host: r.host, pausedAt: r.paused_at }));
}

export async function pauseHost(db: Queryable, host: string): Promise<void> {
  await db.query('insert into paused_hosts (host) values ($1) on conflict (host) do nothing', [host]);
}

/** True when the host was paused. */
export async function resumeHost(db: Queryable, host: string): Promise<boolean> {
  const result = await db.query('delete from paused_hosts where host = $1', [host]);
  return (result.rowCount ?? 0) > 0;
}

/** Pauses or resumes a topic; returns whether it exists and whether a ping waits for it (its fetch mark). */
export async function setTopicPaused(db: Queryable, topicId: number, paused: boolean): Promise<{ fetchRequested: boolean } | undefined> {
  const { rows } = await db.query(
    `update topics set paused_at = case when $2::boolean then coalesce(paused_at, now()) end
     where id = $1 returning fetch_requested_at is not null as fetch_requested`,
    [topicId, paused],
  );
  return rows[0] ? { fetchRequested: rows[0].fetch_requested } : undefined;
}
