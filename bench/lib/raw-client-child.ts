import crypto from 'node:crypto';
/**
 * The baselines, in their own process: what plain undici over keep-alive does
 * with the same work the hub is measured on. Warmed up before measuring.
 */
import { Agent } from 'undici';
import { serveRequests } from './child.js';

const now = () => performance.timeOrigin + performance.now();

function agent(connections: number): Agent {
  return new Agent({ connections, keepAliveTimeout: 60_000, pipelining: 1 });
}

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/**
 * What a WebSub delivery must carry besides the body (WebSub §7: the Link header; a signature per
 * subscriber secret), as Crier sends it, for the second fan-out baseline.
 */
function deliveryHeaders(body: Buffer, i: number): Record<string, string> {
  return {
    'user-agent': 'Crier/0.1 (WebSub hub)',
    link: '<http://127.0.0.1:8080/>; rel="hub", <http://127.0.0.1:9000/feed.xml>; rel="self"',
    'x-crier-entries': 'new=1, updated=0',
    'x-hub-delivery': `1.${i}`,
    'x-hub-signature': `sha256=${crypto.createHmac('sha256', 'bench-secret').update(body).digest('hex')}`,
  };
}

async function post(a: Agent, url: URL, body: Buffer, extra?: Record<string, string>): Promise<number> {
  const res = await a.request({
    origin: url.origin,
    path: url.pathname,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/rss+xml', ...extra },
  });
  await res.body.dump();
  return res.statusCode;
}

async function get(a: Agent, url: URL): Promise<string> {
  const res = await a.request({ origin: url.origin, path: url.pathname + url.search, method: 'GET' });
  return res.body.text();
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const handlers: Record<string, (args: any) => Promise<unknown>> = {
  /**
   * N POSTs of `bytes`-sized bodies to `urls`, 64 connections per origin, `inflight` at once; with
   * `signed`, each also carries the headers and HMAC signature a hub delivery does.
   */
  async blast(args: { urls: string[]; bytes: number; connections: number; inflight: number; warmup: number; signed?: boolean }) {
    const a = agent(args.connections);
    const urls = args.urls.map((u) => new URL(u));
    const body = Buffer.alloc(args.bytes, 'x');
    const send = (i: number) => post(a, urls[i], body, args.signed ? deliveryHeaders(body, i) : undefined);
    const warm = Math.min(args.warmup, urls.length);
    await pool(warm, args.inflight, (i) => send(i).then(() => undefined));
    const start = now();
    let failures = 0;
    await pool(urls.length, args.inflight, async (i) => {
      if ((await send(i)) !== 200) failures++;
    });
    const seconds = (now() - start) / 1000;
    await a.close();
    return { warmed: warm, seconds, perSec: urls.length / seconds, failures };
  },
  /** Floor of ping-to-delivery: GET the topic, then POST its body to the callback, one after another. */
  async floor(args: { topicUrl: string; callbackUrl: string; n: number; warmup: number; bytes: number }) {
    const a = agent(4);
    const topic = new URL(args.topicUrl);
    const callback = new URL(args.callbackUrl);
    const body = Buffer.alloc(args.bytes, 'x');
    const samples: number[] = [];
    for (let i = 0; i < args.warmup + args.n; i++) {
      const t0 = now();
      await get(a, topic);
      await post(a, callback, body);
      if (i >= args.warmup) samples.push(now() - t0);
    }
    await a.close();
    samples.sort((x, y) => x - y);
    return { p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99) };
  },
  /** Verification GETs alone: a challenge GET to each callback at `concurrency`. */
  async gets(args: { urls: string[]; concurrency: number; warmup: number }) {
    const a = agent(64);
    const urls = args.urls.map((u) => new URL(u));
    await pool(Math.min(args.warmup, urls.length), args.concurrency, (i) => get(a, urls[i]).then(() => undefined));
    const start = now();
    await pool(urls.length, args.concurrency, (i) => get(a, urls[i]).then(() => undefined));
    const seconds = (now() - start) / 1000;
    await a.close();
    return { seconds, perSec: urls.length / seconds };
  },
  /** Form POSTs to the hub (subscribe / publish requests), `concurrency` at once; returns when all are answered. */
  async forms(args: { hubUrl: string; bodies: string[]; concurrency: number }) {
    const a = agent(args.concurrency);
    const hub = new URL(args.hubUrl);
    const start = now();
    const statuses = new Map<number, number>();
    await pool(args.bodies.length, args.concurrency, async (i) => {
      const res = await a.request({
        origin: hub.origin,
        path: hub.pathname,
        method: 'POST',
        body: args.bodies[i],
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      await res.body.dump();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    });
    const end = now();
    await a.close();
    return { start, end, seconds: (end - start) / 1000, statuses: Object.fromEntries(statuses) };
  },
  /** Poll floor: a conditional GET (If-None-Match) of each URL, `concurrency` at once, answered 304. */
  async conditionalGets(args: { urls: string[]; etag: string; concurrency: number; warmup: number }) {
    const a = agent(args.concurrency);
    const urls = args.urls.map((u) => new URL(u));
    let notModified = 0;
    const once = async (i: number) => {
      const res = await a.request({
        origin: urls[i].origin,
        path: urls[i].pathname,
        method: 'GET',
        headers: { 'if-none-match': args.etag },
      });
      await res.body.dump();
      if (res.statusCode === 304) notModified++;
    };
    await pool(Math.min(args.warmup, urls.length), args.concurrency, once);
    notModified = 0;
    const start = now();
    await pool(urls.length, args.concurrency, once);
    const seconds = (now() - start) / 1000;
    await a.close();
    return { seconds, perSec: urls.length / seconds, notModified };
  },
  /** Many-topics floor: GET each topic, then POST a body to its callback, `concurrency` pairs at once. */
  /** GET each topic, then POST to its `perTopic` callbacks (callbacks[i * perTopic + j]) at once; deliveries/s. */
  async fetchAndPost(args: {
    topics: string[];
    callbacks: string[];
    bytes: number;
    concurrency: number;
    warmup: number;
    perTopic?: number;
  }) {
    const a = agent(64);
    const body = Buffer.alloc(args.bytes, 'x');
    const perTopic = args.perTopic ?? 1;
    const run = async (i: number) => {
      await get(a, new URL(args.topics[i]));
      await Promise.all(Array.from({ length: perTopic }, (_, j) => post(a, new URL(args.callbacks[i * perTopic + j]), body)));
    };
    await pool(Math.min(args.warmup, args.topics.length), args.concurrency, run);
    const start = now();
    await pool(args.topics.length, args.concurrency, run);
    const seconds = (now() - start) / 1000;
    await a.close();
    return { seconds, perSec: (args.topics.length * perTopic) / seconds };
  },
};

serveRequests(handlers);
