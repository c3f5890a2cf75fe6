import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface Reply {
  status: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

async function listen(handler: (req: RecordedRequest) => Reply | Promise<Reply> | 'hang'): Promise<TestServer & { server: http.Server }> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void respond());
    async function respond(): Promise<void> {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '/',
        query: new URL(req.url ?? '/', 'http://x').searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      const reply = await handler(recorded);
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    server,
    url: `${origin}/`,
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type SubscriberBehaviour = {
  /** Answer to verification GETs; default echoes hub.challenge with 200. */
  verify?: (query: URLSearchParams) => Reply | Promise<Reply> | 'hang';
  /** Answer to content POSTs; default 200. */
  deliver?: (req: RecordedRequest) => Reply | 'hang';
};

export interface Subscriber extends TestServer {
  verifications: () => RecordedRequest[];
  deliveries: () => RecordedRequest[];
  behave(behaviour: SubscriberBehaviour): void;
}

/** A programmable subscriber callback on loopback that records every request. */
export async function startSubscriber(initial: SubscriberBehaviour = {}): Promise<Subscriber> {
  let behaviour = initial;
  const base = await listen((req) => {
    if (req.method === 'GET') {
      return behaviour.verify ? behaviour.verify(req.query) : { status: 200, body: req.query.get('hub.challenge') ?? '' };
    }
    return behaviour.deliver ? behaviour.deliver(req) : { status: 200, body: 'thanks' };
  });
  return {
    ...base,
    verifications: () => base.requests.filter((r) => r.method === 'GET'),
    deliveries: () => base.requests.filter((r) => r.method === 'POST'),
    behave(next) {
      behaviour = next;
    },
  };
}

export interface TopicDocument {
  body: string | Buffer;
  contentType: string;
  etag?: string;
  status?: number;
  headers?: Record<string, string>;
}

export interface Publisher extends TestServer {
  /** Serves `doc` at `path` from now on. */
  set(path: string, doc: TopicDocument): void;
  topicUrl(path: string): string;
  fetches(path: string): RecordedRequest[];
}

/** A loopback publisher serving programmable topics, honouring If-None-Match. */
export async function startPublisher(): Promise<Publisher> {
  const docs = new Map<string, TopicDocument>();
  const base = await listen((req) => {
    const path = req.url.split('?')[0];
    const doc = docs.get(path);
    if (!doc) return { status: 404, body: 'no such topic' };
    const etag = doc.etag ?? `"${crypto.createHash('sha1').update(doc.body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) return { status: 304 };
    return { status: doc.status ?? 200, body: doc.body, headers: { 'content-type': doc.contentType, etag, ...doc.headers } };
  });
  return {
    ...base,
    set: (path, doc) => void docs.set(path, doc),
    topicUrl: (path) => `${base.origin}${path}`,
    fetches: (path) => base.requests.filter((r) => r.url.split('?')[0] === path),
  };
}
