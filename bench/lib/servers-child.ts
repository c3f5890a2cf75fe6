/**
 * Loopback peers for the benchmark, in their own process so the driver's CPU
 * does not skew them: subscriber sinks (answer hub.challenge on GET, 200 on
 * POST, count) and a publisher serving RSS feeds whose entry count the driver
 * bumps. Controlled over IPC (see servers.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const now = () => performance.timeOrigin + performance.now();

interface Counters {
  posts: number;
  gets: number;
  postBytes: number;
  lastBodyBytes: number;
  firstPostAt: number;
  lastPostAt: number;
  lastGetAt: number;
  feedGets: number;
}
const fresh = (): Counters => ({
  posts: 0,
  gets: 0,
  postBytes: 0,
  lastBodyBytes: 0,
  firstPostAt: 0,
  lastPostAt: 0,
  lastGetAt: 0,
  feedGets: 0,
});
let counters = fresh();
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
let watchPosts = false;
let postWaiters: Array<{ target: number; resolve: () => void }> = [];
let getWaiters: Array<{ target: number; resolve: () => void }> = [];

/** Feed state: entries of a feed = base + its own bumps. */
let base = 1;
const bumps = new Map<string, number>();
const FILLER = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(18);

function feedXml(name: string, origin: string): string {
  const count = base + (bumps.get(name) ?? 0);
  const items: string[] = [];
  for (let i = count; i > Math.max(0, count - 10); i--) {
    items.push(
      `<item><guid isPermaLink="false">urn:bench:${name}:${i}</guid><title>Entry ${i} of ${name}</title>` +
        `<link>${origin}/post/${name}/${i}</link><description>${FILLER}</description></item>`,
    );
  }
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench ${name}</title><link>${origin}/</link><description>bench feed</description>${items.join('')}</channel></rss>\n`;
}

function sink(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'GET') {
    const q = req.url!.indexOf('?');
    const challenge = q >= 0 ? (new URLSearchParams(req.url!.slice(q + 1)).get('hub.challenge') ?? '') : '';
    counters.gets++;
    counters.lastGetAt = now();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(challenge) });
    res.end(challenge);
    if (getWaiters.length) getWaiters = getWaiters.filter((w) => (counters.gets >= w.target ? (w.resolve(), false) : true));
    return;
  }
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    const at = now();
    counters.posts++;
    counters.postBytes += bytes;
    counters.lastBodyBytes = bytes;
    if (counters.firstPostAt === 0) counters.firstPostAt = at;
    counters.lastPostAt = at;
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    if (watchPosts) process.send!({ event: 'post', at, path: req.url, bytes });
    if (postWaiters.length) postWaiters = postWaiters.filter((w) => (counters.posts >= w.target ? (w.resolve(), false) : true));
  });
}

/** Polled topics (`/poll/<name>`): a 304 to every conditional GET, the time of each GET kept for the spread. */
const POLL_ETAG = '"p1"';
let pollGets: number[] = [];
let pollConditional = 0;
let pollWaiters: Array<{ target: number; resolve: () => void }> = [];

function polled(req: http.IncomingMessage, res: http.ServerResponse): void {
  pollGets.push(now());
  if (req.headers['if-none-match'] === POLL_ETAG) {
    pollConditional++;
    res.writeHead(304, { etag: POLL_ETAG }).end();
  } else {
    const body = Buffer.from(feedXml('poll', `http://${req.headers.host}`));
    res.writeHead(200, { 'content-type': 'application/rss+xml', etag: POLL_ETAG, 'content-length': body.length }).end(body);
  }
  if (pollWaiters.length) pollWaiters = pollWaiters.filter((w) => (pollGets.length >= w.target ? (w.resolve(), false) : true));
}

function publisher(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url?.startsWith('/poll/')) return polled(req, res);
  const m = /^\/feed\/([\w-]+)/.exec(req.url ?? '');
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  counters.feedGets++;
  const body = Buffer.from(feedXml(m[1], `http://${req.headers.host}`));
  res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, handler);
  server.maxHeadersCount = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511 * 8, resolve));
  return (server.address() as AddressInfo).port;
}

function waitFor(list: 'posts' | 'gets', target: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (counters[list] >= target) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const waiter = { target, resolve: () => (clearTimeout(timer), resolve(true)) };
    (list === 'posts' ? postWaiters : getWaiters).push(waiter);
  });
}

type Request = { id: number; op: string; args?: any };

const handlers: Record<string, (args: any) => unknown> = {
  async start(args: { sinks: number }) {
    const sinkPorts: number[] = [];
    for (let i = 0; i < args.sinks; i++) sinkPorts.push(await listen(sink));
    return { sinkPorts, publisherPort: await listen(publisher) };
  },
  reset() {
    counters = fresh();
    pollGets = [];
    pollConditional = 0;
    pollWaiters = [];
    postWaiters = [];
    getWaiters = [];
    return true;
  },
  stats: () => counters,
  watch(args: { on: boolean }) {
    watchPosts = args.on;
    return true;
  },
  bump(args: { name?: string }) {
    if (args.name) bumps.set(args.name, (bumps.get(args.name) ?? 0) + 1);
    else base++;
    return true;
  },
  async waitPosts(args: { target: number; timeoutMs: number }) {
    const ok = await waitFor('posts', args.target, args.timeoutMs);
    return { ok, ...counters };
  },
  /** One publish ping for `name` (after adding an entry), timed until the next POST reaches a sink, on this process's clock. */
  async publishAndWait(args: { hubUrl: string; name: string; topicUrl: string; timeoutMs: number }) {
    bumps.set(args.name, (bumps.get(args.name) ?? 0) + 1);
    const target = counters.posts + 1;
    const body = `hub.mode=publish&hub.url=${encodeURIComponent(args.topicUrl)}`;
    const t0 = now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        args.hubUrl,
        {
          method: 'POST',
          agent: keepAlive,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const ok = await waitFor('posts', target, args.timeoutMs);
    return { ok, status, ms: counters.lastPostAt - t0 };
  },
  /** Waits for `target` GETs of polled topics; returns their count, how many were conditional, and GETs per whole second. */
  async waitPolls(args: { target: number; timeoutMs: number }) {
    const ok = await new Promise<boolean>((resolve) => {
      if (pollGets.length >= args.target) return resolve(true);
      const timer = setTimeout(() => resolve(false), args.timeoutMs);
      pollWaiters.push({ target: args.target, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
    const first = pollGets[0] ?? 0;
    const perSecond: number[] = [];
    for (const t of pollGets) {
      const i = Math.floor((t - first) / 1000);
      perSecond[i] = (perSecond[i] ?? 0) + 1;
    }
    return {
      ok,
      gets: pollGets.length,
      conditional: pollConditional,
      first,
      last: pollGets[pollGets.length - 1] ?? 0,
      perSecond: Array.from(perSecond, (v) => v ?? 0),
    };
  },
  async waitGets(args: { target: number; timeoutMs: number }) {
    const ok = await waitFor('gets', args.target, args.timeoutMs);
    return { ok, ...counters };
  },
};

async function answer(msg: Request): Promise<void> {
  try {
    const result = await handlers[msg.op](msg.args);
    process.send!({ id: msg.id, result });
  } catch (err) {
    process.send!({ id: msg.id, error: (err as Error).message });
  }
}
process.on('message', (msg: Request) => void answer(msg));
process.on('disconnect', () => process.exit(0));
