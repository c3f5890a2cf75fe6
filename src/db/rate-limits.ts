import type { Queryable } from './pool.js';

/** Counts one hit on each key in the window starting at `windowStart`; returns the counts. */
export async function hitRateLimits(db: Queryable, keys: string[], windowStart: Date): Promise<number[]> {
  const { rows } = await db.query(
    `
    insert into rate_limits (key, window_start, hits)
    select k, $2::timestamptz, 1 from unnest($1::text[]) as k
    on conflict (key, window_start) do update set hits = rate_limits.hits + 1
    returning key, hits`,
    [keys, windowStart],
  );
  const byKey = new Map(rows.map((r) => [r.key as string, r.hits as number]));
  return keys.map((k) => byKey.get(k) ?? 0);
}

export async function deleteOldRateLimits(db: Queryable): Promise<void> {
  await db.query(`delete from rate_limits where window_start < now() - interval '2 minutes'`);
}

/** Takes back one hit counted with hitRateLimits (an attempt that turned out not to count). */
export async function refundRateLimit(db: Queryable, key: string, windowStart: Date): Promise<void> {
  await db.query(
    `
    update rate_limits set hits = hits - 1 where key = $1 and window_start = $2 and hits > 0`,
    [key, windowStart],
  );
}
