import { createHub, type Backend } from '../lib/hub.js';
import { feedUrl, sinkUrl, unique, type BenchContext, type Row } from '../lib/context.js';

const ADMIN_TOKEN = '90d59bdb128855c9e5ad25d4978147e0';

/** Counts verified subscriptions through the read-only admin endpoint. */
async function countSubscriptions(hubUrl: string): Promise<number> {
  let after = 0;
  let count = 0;
  for (;;) {
    const res = await fetch(`${hubUrl}admin/subscriptions?after=${after}&limit=500`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const page = (await res.json()) as Array<{ id: number }>;
    count += page.length;
    if (page.length < 500) return count;
    after = page[page.length - 1].id;
  }
}

/**
 * N subscribe requests at concurrency 64 through HTTP: requests answered/s,
 * and subscriptions verified/s (ping of the first request to the last
 * verification GET answered), against the verification GETs alone.
 */
export async function subscribe(ctx: BenchContext, backend: Backend, n: number): Promise<Row[]> {
  const name = `sub_${unique()}`;
  const topic = feedUrl(ctx, name);
  const callbacks = Array.from({ length: n }, (_, i) => sinkUrl(ctx, i, `${name}/${i}`));
  const bodies = callbacks.map((cb) =>
    new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.callback': cb, 'hub.secret': 'bench-secret' }).toString(),
  );
  const hub = await createHub({
    backend,
    label: `subscribe-${backend.replace('+', '-')}`,
    profileDir: ctx.profileDir,
    env: { ...ctx.hubEnv, HUB_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  let answered: number;
  let verified: number;
  let confirmed: number;
  try {
    await hub.start();
    await ctx.servers.call('reset');
    const sent = await ctx.raw.call('forms', { hubUrl: hub.url, bodies, concurrency: 64 });
    if ((sent.statuses['202'] ?? 0) !== n) throw new Error(`subscribe: statuses ${JSON.stringify(sent.statuses)}`);
    answered = n / sent.seconds;
    const done = await ctx.servers.call('waitGets', { target: n, timeoutMs: 60_000 + n * 20 });
    if (!done.ok) throw new Error(`subscribe: only ${done.gets} verifications arrived`);
    verified = n / ((done.lastGetAt - sent.start) / 1000);
    const deadline = Date.now() + 30_000;
    do {
      confirmed = await countSubscriptions(hub.url);
      if (confirmed >= n) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    ctx.log(`  hub: ${Math.round(answered)} requests answered/s, ${Math.round(verified)} verified/s, ${confirmed} active`);
  } finally {
    await hub.destroy();
  }
  const challengeUrls = callbacks.map(
    (cb) =>
      `${cb}?hub.mode=subscribe&hub.topic=${encodeURIComponent(topic)}&hub.challenge=abcdefghijklmnopqrstuvwxyz012345&hub.lease_seconds=864000`,
  );
  const raw = await ctx.raw.call('gets', { urls: challengeUrls, concurrency: 64, warmup: Math.min(n, 2000) });
  ctx.log(`  raw verification GETs: ${Math.round(raw.perSec)}/s`);
  const note = confirmed < n ? `only ${confirmed} of ${n} active at the end` : undefined;
  return [
    {
      scenario: 'subscribe',
      backend,
      n,
      metric: 'requests answered/s',
      hub: answered,
      baseline: raw.perSec,
      baselineLabel: 'raw GETs/s',
      ratio: answered / raw.perSec,
    },
    {
      scenario: 'subscribe',
      backend,
      n,
      metric: 'verified/s',
      hub: verified,
      baseline: raw.perSec,
      baselineLabel: 'raw GETs/s',
      ratio: verified / raw.perSec,
      ...(backend === 'postgres+redis' && !ctx.quick ? { target: '>= 2000/s', met: verified >= 2000 } : {}),
      note,
    },
  ];
}
