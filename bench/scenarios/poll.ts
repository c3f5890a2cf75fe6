import { claimDueTopics } from '../../src/db/index.js';
import { createHub, type Backend } from '../lib/hub.js';
import { now, sinkUrl, unique, type BenchContext, type Row } from '../lib/context.js';

/** The topics fall due over this span, in 100 steps: the scheduler's jitter, compressed into the run. */
const DUE_SPREAD_MS = 5000;
const ETAG = '"p1"';

/**
 * Polling (issue 13): N subscribed topics, bulk-inserted as already fetched (ETag known), made due
 * within a few seconds; the loopback publisher answers every conditional GET 304. Measures polls/s
 * from the first GET to the last against a raw conditional-GET loop (undici, 64 at once) in the same
 * run, how evenly the polls spread over the seconds, the hub's peak RSS, and afterwards, on the same
 * 100,000-row table with the hub stopped, the claim statement's database time per due topic.
 */
export async function poll(ctx: BenchContext, backend: Backend, n: number): Promise<Row[]> {
  const name = `pl_${unique()}`;
  const origin = `http://127.0.0.1:${ctx.publisherPort}`;
  const hub = await createHub({
    backend,
    label: `poll-${backend.replace('+', '-')}`,
    profileDir: ctx.profileDir,
    env: {
      // One loopback "host" serves every topic here; a real hub's defaults are 2 and 200 ms per host.
      HUB_POLL_PER_HOST: '64',
      HUB_POLL_HOST_SPACING_MS: '0',
      HUB_FETCH_PER_HOST: '64',
      HUB_FETCH_CONCURRENCY: '64',
      // Each topic is polled once in the run.
      HUB_POLL_MIN_SECONDS: '3600',
      HUB_POLL_MAX_SECONDS: '86400',
      ...ctx.hubEnv,
    },
  });
  const sink = sinkUrl(ctx, 0, name);
  let polls: { gets: number; conditional: number; first: number; last: number; perSecond: number[] };
  let peakMb: number;
  let delivered: number;
  try {
    ctx.log(`  seeding ${n} polled topics`);
    await hub.seed(async (db) => {
      await db.query(
        `
        with t as (
          insert into topics (url, etag, last_fetch_at, last_fetch_status, last_fetch_source, poll_at, poll_interval_seconds, poll_reason)
          select $1 || '/poll/' || $2 || '_' || i, $3, now() - interval '1 hour', 304, 'poll', now() + interval '1 day', 3600, 'changes'
          from generate_series(1, $4) as i
          returning id
        )
        insert into subscriptions (topic_id, callback, lease_seconds, expires_at)
        select id, $5, 864000, now() + interval '10 days' from t`,
        [origin, name, ETAG, n, sink],
      );
      await db.query('analyze topics');
    });
    await hub.start();
    await ctx.servers.call('reset');
    await hub.seed((db) =>
      db.query(`update topics set poll_at = now() + (id % 100) * make_interval(secs => $1::float8 / 100000)`, [DUE_SPREAD_MS]),
    );
    const due = now();
    polls = await ctx.servers.call('waitPolls', { target: n, timeoutMs: 120_000 + n * 20 });
    if (polls.gets < n) throw new Error(`poll: only ${polls.gets} of ${n} topics polled (${hub.stderrTail()})`);
    ctx.log(`  first poll ${Math.round(polls.first - due)} ms after the topics fell due`);
    peakMb = hub.memory().peakMb;
    delivered = (await ctx.servers.call('stats')).posts;
  } finally {
    await hub.stop();
  }

  // The scheduler's statement alone, on the same table, nothing else running: every topic due, claimed in batches of 1000.
  let claimMs = 0;
  let claimed = 0;
  try {
    await hub.seed(async (db) => {
      await db.query(`update topics set poll_at = now() - interval '1 second'`);
      await db.query('vacuum analyze topics');
      for (;;) {
        const t0 = now();
        const ids = await claimDueTopics(db, 1000, 3600);
        claimMs += now() - t0;
        if (ids.length === 0) break;
        claimed += ids.length;
      }
    });
  } finally {
    await hub.destroy();
  }

  const urls = Array.from({ length: n }, (_, i) => `${origin}/poll/${name}_raw_${i}`);
  const raw = await ctx.raw.call('conditionalGets', { urls, etag: ETAG, concurrency: 64, warmup: Math.min(n, 2000) });

  const seconds = (polls.last - polls.first) / 1000;
  const rate = polls.gets / seconds;
  // Evenness over the whole seconds between the first and the last (the partial edges left out).
  const inner = polls.perSecond.slice(1, -1);
  const mean = inner.reduce((a, b) => a + b, 0) / Math.max(1, inner.length);
  const sd = Math.sqrt(inner.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, inner.length));
  const cv = inner.length ? sd / mean : NaN;
  const msPerClaim = claimMs / Math.max(1, claimed);
  const msPerFetch = 1000 / rate;
  ctx.log(
    `  hub: ${Math.round(rate)} polls/s (${polls.conditional} conditional, ${delivered} deliveries); raw ${Math.round(raw.perSec)}/s; ` +
      `claim ${msPerClaim.toFixed(4)} ms/topic; per-second ${inner.length ? `${Math.min(...inner)}..${Math.max(...inner)}` : 'n/a'}`,
  );
  return [
    {
      scenario: 'poll',
      backend,
      n,
      metric: 'conditional polls/s (304)',
      hub: rate,
      baseline: raw.perSec,
      baselineLabel: 'raw conditional GET/s',
      ratio: rate / raw.perSec,
      target: '>= 2000/s',
      met: rate >= 2000,
      note: `${polls.conditional} of ${polls.gets} conditional, ${delivered} deliveries`,
    },
    {
      scenario: 'poll',
      backend,
      n,
      metric: 'scheduler DB ms per due topic',
      hub: msPerClaim,
      baseline: msPerFetch,
      baselineLabel: 'hub ms per poll',
      ratio: msPerClaim / msPerFetch,
      target: '<= 10% of a poll',
      met: msPerClaim / msPerFetch <= 0.1,
      note: `claims of 1000 on ${n} rows`,
    },
    {
      scenario: 'poll',
      backend,
      n,
      metric: 'polls per second: CV',
      hub: cv,
      baseline: null,
      baselineLabel: '',
      ratio: null,
      note: inner.length
        ? `min ${Math.min(...inner)}, mean ${Math.round(mean)}, max ${Math.max(...inner)} over ${inner.length} s`
        : 'under 3 s',
    },
    {
      scenario: 'poll',
      backend,
      n,
      metric: 'peak RSS MB (VmHWM)',
      hub: peakMb,
      baseline: null,
      baselineLabel: '',
      ratio: null,
    },
  ];
}
