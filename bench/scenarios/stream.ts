import { startChild } from '../lib/child.js';
import { feedUrl, unique, type BenchContext, type Row } from '../lib/context.js';
import { createHub, type Backend } from '../lib/hub.js';
import { fanout } from './fanout.js';

/** Per-stream memory the issue asks for (issue 14). */
const TARGET_KB = 20;

/** The hub's `crier_open_streams{kind="stream"}` gauge. */
async function openStreams(hubUrl: string): Promise<number> {
  const text = await (await fetch(new URL('metrics', hubUrl))).text();
  return Number(/^crier_open_streams\{kind="stream"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

async function untilOpen(hubUrl: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await openStreams(hubUrl)) !== n) {
    if (Date.now() > deadline) throw new Error(`the hub did not report ${n} open streams`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * N event-stream clients on one topic of one hub process (`all`: the worker
 * that fetches is in it too, as in the fan-out scenario): the hub's RSS
 * before and after they are open and idle, then one publish of one new entry
 * timed from the ping to the last client having its event, against the
 * callback fan-out scenario to N subscribers in the same run, timed the same
 * way (ping to the last POST received).
 */
export async function stream(ctx: BenchContext, backend: Backend, n: number): Promise<Row[]> {
  const name = `stream${n}_${unique()}`;
  const topic = feedUrl(ctx, name);
  const url = `?hub.mode=retrieve&wait=stream&hub.topic=${encodeURIComponent(topic)}`;
  const clients = startChild('stream-clients-child.ts');
  const hub = await createHub({
    backend,
    label: `stream-${n}-${backend.replace('+', '-')}`,
    profileDir: ctx.profileDir,
    env: {
      // Every client comes from 127.0.0.1.
      HUB_MAX_STREAMS: String(n + 100),
      HUB_MAX_STREAMS_PER_CLIENT: String(n + 100),
      // The measured ping follows the warm-up one within seconds: fetch it at once, as the fan-out's first fetch is.
      HUB_FETCH_MIN_INTERVAL_SECONDS: '0',
      ...ctx.hubEnv,
    },
  });
  let rssKb: number;
  let streamMs: number;
  let spreadMs: number;
  let rss: { before: number; after: number };
  try {
    await hub.seed(async (db) => db.query('insert into topics (url) values ($1)', [topic]));
    await hub.start();
    // Warm: the hub has served streams (and dropped them) before its RSS is taken.
    const warm = Math.min(n, 500);
    await clients.call('open', { url: `${hub.url}${url}`, n: warm, concurrency: 100 });
    await clients.call('close');
    await untilOpen(hub.url, 0, 30_000);
    const before = hub.memory().rssMb;
    const opened = await clients.call('open', { url: `${hub.url}${url}`, n, concurrency: 100 });
    await untilOpen(hub.url, n, 30_000);
    const after = hub.memory().rssMb;
    rss = { before, after };
    rssKb = ((after - before) * 1024) / n;
    ctx.log(`  ${n} streams open in ${(opened.ms / 1000).toFixed(1)} s; hub RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MB`);

    // The first update (the topic's first fetch) warms the path; the second is measured.
    await ctx.raw.call('forms', { hubUrl: hub.url, bodies: [`hub.mode=publish&hub.url=${encodeURIComponent(topic)}`], concurrency: 1 });
    const warmed = await clients.call('waitEvents', { count: 1, timeoutMs: 60_000 });
    if (!warmed.ok) throw new Error(`warm-up update: only ${warmed.have} of ${n} clients got it (${hub.stderrTail()})`);
    await ctx.servers.call('bump', { name });
    const sent = await ctx.raw.call('forms', {
      hubUrl: hub.url,
      bodies: [`hub.mode=publish&hub.url=${encodeURIComponent(topic)}`],
      concurrency: 1,
    });
    const done = await clients.call('waitEvents', { count: 2, timeoutMs: 60_000 });
    if (!done.ok) throw new Error(`stream fan-out: only ${done.have} of ${n} clients got the update (${hub.stderrTail()})`);
    streamMs = done.lastAt - sent.start;
    spreadMs = done.lastAt - done.firstAt;
    ctx.log(`  stream: ping to last client ${streamMs.toFixed(0)} ms (first to last client ${spreadMs.toFixed(0)} ms)`);
  } finally {
    await clients.call('close').catch(() => undefined);
    await clients.close();
    await hub.destroy();
  }
  ctx.log(`  callback fan-out to the same ${n}, timed the same way:`);
  const callbacks = await fanout(ctx, backend, n);
  const ratio = streamMs / callbacks.ms;
  return [
    {
      scenario: 'stream',
      backend,
      n,
      metric: 'RSS KB per idle stream',
      hub: rssKb,
      baseline: null,
      baselineLabel: '',
      ratio: null,
      target: `< ${TARGET_KB} KB`,
      met: rssKb < TARGET_KB,
      note: `hub RSS ${rss.before.toFixed(1)} MB before, ${rss.after.toFixed(1)} MB with ${n} streams open`,
    },
    {
      scenario: 'stream',
      backend,
      n,
      metric: 'ping to last client, ms',
      hub: streamMs,
      baseline: callbacks.ms,
      baselineLabel: 'ms, callback fan-out to as many subscribers',
      ratio,
      target: '<= 1.0',
      met: ratio <= 1,
      note: `first to last client ${spreadMs.toFixed(0)} ms; callback fan-out ${Math.round((n * 1000) / callbacks.ms)} deliveries/s`,
    },
  ];
}
