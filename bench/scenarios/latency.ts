import { createHub, seedSubscriptions, type Backend } from '../lib/hub.js';
import { feedUrl, sinkUrl, unique, type BenchContext, type Row } from '../lib/context.js';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * One subscriber, publishes one after another, each adding an entry:
 * ping-to-delivery percentiles against the floor (the same topic GET plus a
 * POST to the callback, directly over keep-alive).
 */
export async function latency(ctx: BenchContext, backend: Backend, n: number): Promise<Row[]> {
  const name = `lat_${unique()}`;
  const topic = feedUrl(ctx, name);
  const callback = sinkUrl(ctx, 0, `${name}/0`);
  // One topic pinged again and again: the spacing between its fetches (HUB_FETCH_MIN_INTERVAL_SECONDS, a
  // politeness policy) would be measured instead of the ping-to-delivery path, so it is off here.
  const env = { HUB_FETCH_MIN_INTERVAL_SECONDS: '0', ...ctx.hubEnv };
  const hub = await createHub({ backend, label: `latency-${backend.replace('+', '-')}`, profileDir: ctx.profileDir, env });
  const samples: number[] = [];
  let lost = 0;
  let bytes: number;
  try {
    await hub.seed((db) => seedSubscriptions(db, [topic], [callback], 'bench-secret'));
    await hub.start();
    await ctx.servers.call('reset');
    const warmup = ctx.quick ? 5 : 20;
    for (let i = 0; i < warmup + n; i++) {
      const r = await ctx.servers.call('publishAndWait', { hubUrl: hub.url, name, topicUrl: topic, timeoutMs: 10_000 });
      if (!r.ok) lost++;
      else if (i >= warmup) samples.push(r.ms);
      if ((i + 1) % 100 === 0) ctx.log(`  ${i + 1 - warmup} publishes`);
    }
    bytes = (await ctx.servers.call('stats')).lastBodyBytes;
  } finally {
    await hub.destroy();
  }
  if (samples.length === 0) throw new Error('latency: no delivery arrived');
  samples.sort((a, b) => a - b);
  const floor = await ctx.raw.call('floor', { topicUrl: topic, callbackUrl: callback, n, warmup: 20, bytes });
  const rows: Row[] = [];
  for (const p of [50, 95, 99] as const) {
    const hubMs = percentile(samples, p);
    const floorMs = floor[`p${p}`] as number;
    // Issue 11: p50 at most 5x the floor, p99 at most 20x.
    const limit = p === 50 ? 5 : p === 99 ? 20 : undefined;
    const ratio = hubMs / floorMs;
    rows.push({
      scenario: 'latency',
      backend,
      n,
      metric: `p${p} ms`,
      hub: hubMs,
      baseline: floorMs,
      baselineLabel: 'GET topic + POST callback, ms',
      ratio,
      ...(limit !== undefined && backend === 'postgres+redis' && !ctx.quick ? { target: `<= ${limit}x`, met: ratio <= limit } : {}),
      ...(p === 50 && lost > 0 ? { note: `${lost} publishes not delivered within 10 s` } : {}),
    });
  }
  ctx.log(
    `  hub p50/p95/p99 ${rows.map((r) => r.hub.toFixed(1)).join('/')} ms; floor ${rows.map((r) => r.baseline!.toFixed(2)).join('/')} ms`,
  );
  return rows;
}
