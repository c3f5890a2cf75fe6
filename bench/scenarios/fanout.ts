import { createHub, seedSubscriptions, type Backend } from '../lib/hub.js';
import { feedUrl, sinkUrl, unique, type BenchContext, type Row } from '../lib/context.js';
import { healthRow, idleHealth, pollHealth, type HealthLatency } from '../lib/responsiveness.js';

export interface FanoutResult {
  rows: Row[];
  peakMb: number;
  /** From the ping to the last delivery received, ms (what the stream scenario sets its time against). */
  ms: number;
}

/** Deliveries each side makes before it is measured: the same for the hub and the raw blast. */
const warmupOf = (n: number) => Math.min(n, 5000);

/**
 * One topic, N subscribers (bulk-inserted, each with a secret, callbacks
 * spread over the sinks), one publish of one new entry: deliveries/s from the
 * ping to the last POST received, against a warmed-up raw undici blast of the
 * same N bodies of the same size.
 */
export async function fanout(ctx: BenchContext, backend: Backend, n: number): Promise<FanoutResult> {
  const name = `fan${n}_${unique()}`;
  const topic = feedUrl(ctx, name);
  const callbacks = Array.from({ length: n }, (_, i) => sinkUrl(ctx, i, `${name}/${i}`));
  const hub = await createHub({ backend, label: `fanout-${n}-${backend.replace('+', '-')}`, profileDir: ctx.profileDir, env: ctx.hubEnv });
  let hubRate: number;
  let bytes: number;
  let peakMb: number;
  let ms: number;
  let health: { busy: HealthLatency; idle: HealthLatency };
  try {
    // Both sides are measured warm: the raw blast warms up first, so the hub
    // first fans out to a separate topic on the same sink origins (JIT, connections).
    const warmTopic = feedUrl(ctx, `${name}_warm`);
    const warmCallbacks = Array.from({ length: warmupOf(n) }, (_, i) => sinkUrl(ctx, i, `${name}_warm/${i}`));
    ctx.log(`  seeding ${n} subscriptions (+${warmCallbacks.length} for the warm-up topic)`);
    await hub.seed(async (db) => {
      await seedSubscriptions(db, [topic], callbacks, 'bench-secret', ctx.format);
      await seedSubscriptions(db, [warmTopic], warmCallbacks, 'bench-secret', ctx.format);
    });
    await hub.start();
    const base = hub.memory().rssMb;
    await ctx.servers.call('reset');
    await ctx.raw.call('forms', { hubUrl: hub.url, bodies: [`hub.mode=publish&hub.url=${encodeURIComponent(warmTopic)}`], concurrency: 1 });
    const warmed = await ctx.servers.call('waitPosts', { target: warmCallbacks.length, timeoutMs: 60_000 });
    if (!warmed.ok) throw new Error(`warm-up fan-out: only ${warmed.posts} deliveries arrived (${hub.stderrTail()})`);
    await ctx.servers.call('reset');
    const idle = await idleHealth(hub.url);
    const poller = pollHealth(hub.url);
    const sent = await ctx.raw.call('forms', {
      hubUrl: hub.url,
      bodies: [`hub.mode=publish&hub.url=${encodeURIComponent(topic)}`],
      concurrency: 1,
    });
    const done = await ctx.servers.call('waitPosts', { target: n, timeoutMs: 60_000 + n * 5 });
    health = { busy: await poller.stop(), idle };
    if (!done.ok) throw new Error(`fan-out to ${n}: only ${done.posts} deliveries arrived (${hub.stderrTail()})`);
    ms = done.lastPostAt - sent.start;
    hubRate = n / (ms / 1000);
    bytes = done.lastBodyBytes;
    peakMb = hub.memory().peakMb;
    ctx.log(
      `  hub: ${Math.round(hubRate)} deliveries/s (${bytes}-byte body), first delivery after ${(done.firstPostAt - sent.start).toFixed(0)} ms, peak RSS ${peakMb.toFixed(0)} MB (idle ${base.toFixed(0)} MB), /healthz p50 ${health.busy.p50.toFixed(1)} ms p99 ${health.busy.p99.toFixed(1)} ms`,
    );
  } finally {
    await hub.destroy();
  }
  await ctx.servers.call('reset');
  const raw = await ctx.raw.call('blast', { urls: callbacks, bytes, connections: 64, inflight: 256, warmup: warmupOf(n) });
  ctx.log(`  raw undici: ${Math.round(raw.perSec)} POSTs/s`);
  // The same blast carrying what every delivery must (Link, signature, delivery id): how much of the gap is the protocol.
  await ctx.servers.call('reset');
  const signed = await ctx.raw.call('blast', { urls: callbacks, bytes, connections: 64, inflight: 256, warmup: warmupOf(n), signed: true });
  ctx.log(`  raw undici, signed like a delivery: ${Math.round(signed.perSec)} POSTs/s`);
  const ratio = hubRate / raw.perSec;
  const target = n === 10_000 ? (backend === 'embedded' ? 0.5 : 0.7) : undefined;
  return {
    peakMb,
    ms,
    rows: [
      {
        scenario: 'fan-out',
        backend,
        n,
        metric: 'deliveries/s',
        hub: hubRate,
        baseline: raw.perSec,
        baselineLabel: 'raw undici POSTs/s',
        ratio,
        ...(target !== undefined && !ctx.quick ? { target: `>= ${target}`, met: ratio >= target } : {}),
        note: `${bytes}-byte body; subscriptions bulk-inserted${ctx.format === 'json' ? '; crier.format=json' : ''}`,
      },
      {
        scenario: 'fan-out',
        backend,
        n,
        metric: 'deliveries/s',
        hub: hubRate,
        baseline: signed.perSec,
        baselineLabel: "raw undici POSTs/s with a delivery's headers and HMAC",
        ratio: hubRate / signed.perSec,
        note: 'same hub run; the baseline also signs each body and sends Link, X-Hub-Delivery, X-Crier-Entries, User-Agent',
      },
      healthRow('fan-out', backend, n, health.busy, health.idle),
    ],
  };
}
