import { createHub, seedSubscriptions, type Backend } from '../lib/hub.js';
import { feedUrl, sinkUrl, unique, type BenchContext, type Row } from '../lib/context.js';
import { healthRow, idleHealth, pollHealth, type HealthLatency } from '../lib/responsiveness.js';

/** How the publisher pings: hub.url per request and requests in flight. */
export interface PingShape {
  urlsPerPing: number;
  inFlight: number;
}

/** The project's usual shape: pings of 100 hub.url, 8 at a time. */
const BULK_PINGS: PingShape = { urlsPerPing: 100, inFlight: 8 };

/** Topics each side handles before it is measured: the same for the hub and the raw loop. */
const warmupOf = (topicCount: number) => Math.min(topicCount, 2000);

/** Publish bodies of `perPing` hub.url each. */
function pingBodies(topics: string[], perPing: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < topics.length; i += perPing) {
    bodies.push(['hub.mode=publish', ...topics.slice(i, i + perPing).map((t) => `hub.url=${encodeURIComponent(t)}`)].join('&'));
  }
  return bodies;
}

/**
 * N deliveries: N / perTopic topics with `perTopic` subscribers each, all
 * published at once (by default pings of 100 hub.url each, 8 at a time; or one
 * hub.url per ping, 64 at a time, as publishers of single feeds do): deliveries/s
 * from the first ping to the last POST received, against GET topic + POST to
 * each of its callbacks done directly at concurrency 64. Both sides are
 * measured warm: the raw loop warms up first, so the hub first handles a
 * separate set of topics the same way (JIT, connections, queue scripts).
 */
export async function manyTopics(ctx: BenchContext, backend: Backend, n: number, perTopic = 1, pings = BULK_PINGS): Promise<Row[]> {
  const name = `mt_${unique()}`;
  const pingNote = `${pings.urlsPerPing} hub.url per ping, ${pings.inFlight} pings in flight`;
  const topicCount = Math.ceil(n / perTopic);
  n = topicCount * perTopic;
  const topics = Array.from({ length: topicCount }, (_, i) => feedUrl(ctx, `${name}_${i}`));
  const topicOf = Array.from({ length: n }, (_, i) => topics[Math.floor(i / perTopic)]);
  const callbacks = Array.from({ length: n }, (_, i) => sinkUrl(ctx, i, `${name}/${i}`));
  const bodies = pingBodies(topics, pings.urlsPerPing);
  const warmTopics = Array.from({ length: warmupOf(topicCount) }, (_, i) => feedUrl(ctx, `${name}_warm_${i}`));
  const warmTopicOf = warmTopics.flatMap((t) => Array.from({ length: perTopic }, () => t));
  const warmCallbacks = warmTopicOf.map((_, i) => sinkUrl(ctx, i, `${name}_warm/${i}`));
  const hub = await createHub({ backend, label: `topics-${backend.replace('+', '-')}`, profileDir: ctx.profileDir, env: ctx.hubEnv });
  let hubRate: number;
  let bytes: number;
  let cpuMsPerDelivery: number;
  let pingRate: number;
  let pingStatuses: Record<string, number>;
  let health: { busy: HealthLatency; idle: HealthLatency };
  try {
    ctx.log(`  seeding ${topics.length} topics and ${n} subscriptions (+${warmTopics.length} topics for the warm-up)`);
    await hub.seed(async (db) => {
      await seedSubscriptions(db, topicOf, callbacks, 'bench-secret');
      await seedSubscriptions(db, warmTopicOf, warmCallbacks, 'bench-secret');
    });
    await hub.start();
    await ctx.servers.call('reset');
    await ctx.raw.call('forms', { hubUrl: hub.url, bodies: pingBodies(warmTopics, pings.urlsPerPing), concurrency: pings.inFlight });
    const warm = await ctx.servers.call('waitPosts', { target: warmCallbacks.length, timeoutMs: 120_000 + warmCallbacks.length * 20 });
    if (!warm.ok)
      throw new Error(`many topics: only ${warm.posts} of ${warmCallbacks.length} warm-up deliveries arrived (${hub.stderrTail()})`);
    await ctx.servers.call('reset');
    const idle = await idleHealth(hub.url);
    const poller = pollHealth(hub.url);
    const cpuBefore = hub.cpuSeconds();
    const sent = await ctx.raw.call('forms', { hubUrl: hub.url, bodies, concurrency: pings.inFlight });
    const done = await ctx.servers.call('waitPosts', { target: n, timeoutMs: 120_000 + n * 20 });
    cpuMsPerDelivery = ((hub.cpuSeconds() - cpuBefore) * 1000) / n;
    health = { busy: await poller.stop(), idle };
    if (!done.ok) throw new Error(`many topics: only ${done.posts} of ${n} deliveries arrived (${hub.stderrTail()})`);
    hubRate = n / ((done.lastPostAt - sent.start) / 1000);
    pingRate = topicCount / sent.seconds;
    pingStatuses = sent.statuses;
    bytes = done.lastBodyBytes;
    ctx.log(
      `  hub: ${Math.round(hubRate)} deliveries/s (${done.feedGets} topic fetches), pings answered at ${Math.round(pingRate)} topics/s, ${cpuMsPerDelivery.toFixed(2)} ms of hub CPU per delivery, /healthz p50 ${health.busy.p50.toFixed(1)} ms p99 ${health.busy.p99.toFixed(1)} ms`,
    );
  } finally {
    await hub.destroy();
  }
  const raw = await ctx.raw.call('fetchAndPost', {
    topics,
    callbacks,
    bytes,
    concurrency: 64,
    warmup: Math.min(topics.length, 2000),
    perTopic,
  });
  ctx.log(`  raw GET+POST: ${Math.round(raw.perSec)}/s`);
  return [
    {
      scenario: 'many topics',
      backend,
      n,
      metric: 'deliveries/s',
      hub: hubRate,
      baseline: raw.perSec,
      baselineLabel: 'raw GET topic + POST/s',
      ratio: hubRate / raw.perSec,
      note: `${perTopic === 1 ? '1 subscriber' : `${perTopic} subscribers`} per topic; ${pingNote}; ${cpuMsPerDelivery.toFixed(2)} ms of hub CPU per delivery; subscriptions bulk-inserted`,
      extra: { cpuMsPerDelivery },
    },
    {
      scenario: 'many topics',
      backend,
      n,
      metric: 'topics pinged/s (answered)',
      hub: pingRate,
      baseline: null,
      baselineLabel: '',
      ratio: null,
      note: `${pingNote}, while the fetches run; answers ${JSON.stringify(pingStatuses)}`,
    },
    healthRow('many topics', backend, n, health.busy, health.idle),
  ];
}
