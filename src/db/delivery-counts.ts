import type { Queryable } from './pool.js';

/** The console's chart: delivery attempts per minute, written by the statement that records a page's outcomes. */

export interface MinuteCount {
  minute: Date;
  delivered: number;
  failed: number;
}

/** Delivery attempts per minute over the last `minutes` (missing minutes had none). */
export async function deliveriesPerMinute(db: Queryable, minutes = 60): Promise<MinuteCount[]> {
  const { rows } = await db.query(
    `
    select minute, sum(delivered)::int as delivered, sum(failed)::int as failed from delivery_counts
    where minute > now() - make_interval(mins => $1)
    group by minute order by minute`,
    [minutes],
  );
  return rows.map((r) => ({ minute: r.minute, delivered: r.delivered, failed: r.failed }));
}

/** The chart's counts are kept a day. */
export async function deleteOldDeliveryCounts(db: Queryable): Promise<void> {
  await db.query(`delete from delivery_counts where minute < now() - interval '1 day'`);
}
