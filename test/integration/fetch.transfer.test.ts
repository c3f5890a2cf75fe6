import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { createTopicFetcher, type TopicFetcher } from '../../src/net/index.js';
import { loopbackAlias } from '../helpers/hosts.js';

// The topic fetcher on undici (issue 23) held to what the got fetcher guaranteed: every hop guarded,
// at most 5 redirects, bodies decoded and capped after decoding, slow and broken transfers abandoned.

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const CAP = 64 * 1024;
const RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><guid>t1</guid></item></channel></rss>';
const alias = loopbackAlias();
const withAlias = alias ? test : test.skip;

/** A loopback server whose paths are hand-written handlers, counting the requests each path received. */
async function startServer(host: string, routes: Record<string, Route>) {
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hits,
    url: (path: string) => `http://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const redirect =
  (location: string, status = 302): Route =>
  (_req, res) =>
    res.writeHead(status, { location }).end();
const encoded =
  (encoding: string, body: Buffer): Route =>
  (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': encoding }).end(body);

describe('topic fetcher on undici (H18, H27, H28)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let other: Awaited<ReturnType<typeof startServer>>;
  let seen: http.IncomingHttpHeaders = {};
  const fetchers: TopicFetcher[] = [];
  const fetcher = (overrides: Partial<Parameters<typeof createTopicFetcher>[0]> = {}) => {
    const f = createTopicFetcher({
      allowPrivateNetworks: false,
      allowAddresses: ['127.0.0.1'],
      maxContentBytes: CAP,
      connectTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      fetchMinBytesPerSecond: 1024,
      ...overrides,
    });
    fetchers.push(f);
    return f;
  };
  const chain = (from: number, to: number): Record<string, Route> =>
    Object.fromEntries(Array.from({ length: to - from }, (_, i) => [`/chain-${from + i}`, redirect(`/chain-${from + i + 1}`, 301)]));
  const bomb = Buffer.alloc(16 * CAP, 0);
  const otherRoutes: Record<string, Route> = { '/feed.xml': (_req, res) => res.writeHead(200).end(RSS) };

  beforeAll(async () => {
    other = await startServer('127.0.0.2', otherRoutes);
    server = await startServer('127.0.0.1', {
      '/feed.xml': (req, res) => {
        seen = req.headers;
        res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"', 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT' });
        res.end(RSS);
      },
      '/conditional': (req, res) => {
        seen = req.headers;
        res.writeHead(req.headers['if-none-match'] === '"v1"' ? 304 : 200, { 'cache-control': 'max-age=600' }).end();
      },
      '/to-private': redirect('http://10.0.0.1/feed.xml'),
      '/to-other': redirect(`${other.url('/feed.xml')}`, 307),
      '/to-localhost': redirect(`http://localhost:${other.port}/feed.xml`),
      '/to-credentials': redirect('http://user:pw@127.0.0.1/feed.xml'),
      ...chain(0, 5),
      '/chain-5': (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(RSS),
      ...chain(10, 16),
      '/chain-16': (_req, res) => res.writeHead(200).end(RSS),
      '/gzip': encoded('gzip', zlib.gzipSync(RSS)),
      '/br': encoded('br', zlib.brotliCompressSync(RSS)),
      '/deflate': encoded('deflate', zlib.deflateSync(RSS)),
      '/gzip-bomb': encoded('gzip', zlib.gzipSync(bomb)),
      '/br-bomb': encoded('br', zlib.brotliCompressSync(bomb)),
      '/deflate-bomb': encoded('deflate', zlib.deflateSync(bomb)),
      '/nested-bomb': encoded('gzip, gzip', zlib.gzipSync(zlib.gzipSync(bomb))),
      '/declared-huge': (_req, res) => {
        res.writeHead(200, { 'content-length': String(CAP + 1) });
        res.write('<rss');
      },
      '/unavailable': (_req, res) => res.writeHead(503, { 'retry-after': '120' }).end('busy'),
      '/drip': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const timer = setInterval(() => res.write('<!-- a few bytes -->'), 100);
        res.on('close', () => clearInterval(timer));
      },
      '/steady-endless': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const timer = setInterval(() => res.write(Buffer.alloc(512, 'x')), 50);
        res.on('close', () => clearInterval(timer));
      },
      '/cut': (req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': '1000' });
        res.write(RSS.slice(0, 40), () => req.socket.destroy());
      },
    });
  });
  afterAll(async () => {
    for (const f of fetchers) f.close();
    await server?.close();
    await other?.close();
  });

  test('H18: a plain GET sends the hub headers and returns the body and validators', async () => {
    const res = await fetcher().fetchTopic(server.url('/feed.xml'));
    expect(res).toMatchObject({ status: 200, url: server.url('/feed.xml'), etag: '"v1"', contentType: 'application/rss+xml' });
    expect('body' in res && res.body.toString()).toBe(RSS);
    expect(seen['user-agent']).toMatch(/^Crier-WebSub-Hub/);
    expect(seen['accept-encoding']).toBe('gzip, deflate, br');
  });

  test('H18: validators are sent as a conditional GET and a 304 comes back with its freshness', async () => {
    const f = fetcher();
    const res = await f.fetchTopic(server.url('/conditional'), { etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' });
    expect(res).toEqual({ status: 304, url: server.url('/conditional'), freshSeconds: 600 });
    expect(seen['if-none-match']).toBe('"v1"');
    expect(seen['if-modified-since']).toBe('Tue, 01 Dec 2026 10:00:00 GMT');
  });

  test('H27: a redirect to a private address, another loopback address or localhost is refused at the hop', async () => {
    const f = fetcher();
    for (const path of ['/to-private', '/to-other', '/to-localhost']) {
      await expect(f.fetchTopic(server.url(path))).rejects.toMatchObject({ code: 'HUB_ERR_ADDRESS_BLOCKED' });
    }
    await expect(f.fetchTopic(server.url('/to-credentials'))).rejects.toMatchObject({ code: 'HUB_ERR_PARAM_URL_CREDENTIALS' });
    expect(other.hits.filter((h) => h === '/feed.xml')).toEqual([]);
  });

  withAlias('H27: a redirect to a name that resolves to a refused address is refused by the lookup at that hop', async () => {
    // Starting from the one allowed address, 127.0.0.2; the alias resolves to another loopback address.
    const f = fetcher({ allowAddresses: ['127.0.0.2'] });
    otherRoutes['/to-alias'] = redirect(`http://${alias}:${server.port}/named`);
    await expect(f.fetchTopic(other.url('/to-alias'))).rejects.toMatchObject({
      code: 'HUB_ERR_ADDRESS_BLOCKED',
      message: expect.stringContaining(`${alias} resolves to 127.`),
    });
    expect(server.hits).not.toContain('/named');
  });

  test('H18: five redirects are followed and the final URL reported; a sixth fails the fetch', async () => {
    const f = fetcher();
    const res = await f.fetchTopic(server.url('/chain-0'));
    expect(res).toMatchObject({ status: 200, url: server.url('/chain-5') });
    await expect(f.fetchTopic(server.url('/chain-10'))).rejects.toMatchObject({
      code: 'HUB_ERR_TOPIC_FETCH_FAILED',
      message: expect.stringContaining('more than 5 redirects'),
    });
    expect(server.hits.filter((h) => h === '/chain-16')).toEqual([]);
  });

  test.each(['/gzip', '/br', '/deflate'])('H18: a %s-encoded body is decoded', async (path) => {
    const res = await fetcher().fetchTopic(server.url(path));
    expect('body' in res && res.body.toString()).toBe(RSS);
  });

  test.each(['/gzip-bomb', '/br-bomb', '/deflate-bomb', '/nested-bomb'])(
    'H28: %s, small on the wire, is cut off at the cap on its decoded size',
    async (path) => {
      await expect(fetcher().fetchTopic(server.url(path))).rejects.toMatchObject({
        code: 'HUB_ERR_TOPIC_TOO_LARGE',
        message: expect.stringContaining(`${CAP} byte cap`),
      });
    },
  );

  test('H28: a declared length over the cap is refused without reading the body', async () => {
    await expect(fetcher().fetchTopic(server.url('/declared-huge'))).rejects.toMatchObject({
      code: 'HUB_ERR_TOPIC_TOO_LARGE',
      message: expect.stringContaining('declares'),
    });
  });

  test('a 503 is a status failure carrying its Retry-After', async () => {
    await expect(fetcher().fetchTopic(server.url('/unavailable'))).rejects.toMatchObject({
      code: 'HUB_ERR_TOPIC_FETCH_STATUS',
      details: { status: 503, retryAfter: 120 },
    });
  });

  test('H28: a body dripping below the minimum rate is abandoned after one window', async () => {
    const began = Date.now();
    await expect(fetcher({ fetchMinBytesPerSecond: 4096 }).fetchTopic(server.url('/drip'))).rejects.toMatchObject({
      code: 'HUB_ERR_TOPIC_TOO_SLOW',
      message: expect.stringMatching(/slower than 4096 bytes\/s/),
    });
    expect(Date.now() - began).toBeLessThan(9000);
  }, 15000);

  test('H28: a body fast enough for the rate but never ending is abandoned at the deadline', async () => {
    const f = fetcher({ requestTimeoutMs: 400, fetchMinBytesPerSecond: 1 });
    await expect(f.fetchTopic(server.url('/steady-endless'))).rejects.toMatchObject({
      code: 'HUB_ERR_TOPIC_FETCH_FAILED',
      message: expect.stringContaining('within 1200 ms'),
    });
  });

  test('a server that closes the connection mid-body fails the fetch as a network failure', async () => {
    await expect(fetcher().fetchTopic(server.url('/cut'))).rejects.toMatchObject({ code: 'HUB_ERR_TOPIC_FETCH_FAILED' });
  });
});
