/**
 * Event-stream clients for the stream scenario, in their own process: each a
 * plain node:http GET on its own connection, its body fed to an SSE parser
 * (eventsource-parser, the one the eventsource package uses), so thousands
 * of them cost the client little. Controlled over IPC like the other children.
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';
import { serveRequests } from './child.js';

const now = () => performance.timeOrigin + performance.now();

interface Client {
  req: http.ClientRequest;
  events: number;
  /** When this client's latest notification event was parsed. */
  lastAt: number;
}

let clients: Client[] = [];
/** The event count waitEvents waits for, and how many clients have it: counted as events arrive, never rescanned. */
let target = Infinity;
let reached = 0;
let onReached: (() => void) | undefined;

/** Opens one stream; resolves when its first bytes (the `retry:` line) arrived, i.e. the hub holds it. */
function open(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client: Client = { req: undefined as unknown as http.ClientRequest, events: 0, lastAt: 0 };
    const parser = createParser({
      onEvent: (event) => {
        if (event.event !== 'notification') return;
        client.events++;
        client.lastAt = now();
        if (client.events === target && ++reached === clients.length) onReached?.();
      },
    });
    client.req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.once('data', () => resolve());
      res.on('data', (chunk: string) => parser.feed(chunk));
    });
    client.req.on('error', reject);
    clients.push(client);
  });
}

const handlers: Record<string, (args: any) => Promise<unknown>> = {
  /** Opens `n` streams of `url`, `concurrency` connecting at once; resolves when the hub holds all of them. */
  async open(args: { url: string; n: number; concurrency: number }) {
    const start = now();
    let next = 0;
    const lane = async () => {
      while (next < args.n) {
        next++;
        await open(args.url);
      }
    };
    await Promise.all(Array.from({ length: Math.min(args.concurrency, args.n) }, lane));
    return { ms: now() - start, open: clients.length };
  },
  /** Waits until every client has `count` notification events; the time the last one got its latest. */
  async waitEvents(args: { count: number; timeoutMs: number }) {
    target = args.count;
    reached = clients.filter((c) => c.events >= target).length;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), args.timeoutMs);
      onReached = () => (clearTimeout(timer), resolve(true));
      if (reached === clients.length) onReached();
    });
    onReached = undefined;
    target = Infinity;
    return {
      ok,
      have: clients.filter((c) => c.events >= args.count).length,
      firstAt: Math.min(...clients.map((c) => c.lastAt)),
      lastAt: Math.max(...clients.map((c) => c.lastAt)),
    };
  },
  close() {
    for (const c of clients) c.req.destroy();
    clients = [];
    return Promise.resolve(true);
  },
};

serveRequests(handlers);
