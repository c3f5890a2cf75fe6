import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

/** A publisher whose every path is a hand-written handler: the hostile ones need raw control. */
async function rawPublisher(routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>) {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const rss = (n: number) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>${Array.from({ length: n }, (_, i) => `<item><guid>g${i}</guid><title>t${i}</title></item>`).join('')}</channel></rss>`;

const BOMB = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><guid>bomb</guid><title>&lol9;</title></item></channel></rss>`;

describe('fetching hostile and unusual topics (pg-redis)', () => {
  let hub: TestHub;
  let subscriber: Subscriber;
  let publisher: Awaited<ReturnType<typeof rawPublisher>>;
  const big = Buffer.alloc(50 * 1024 * 1024, 'a');

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_REQUEST_TIMEOUT_MS: '1000' });
    subscriber = await startSubscriber();
    publisher = await rawPublisher({
      '/gzip': (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(zlib.gzipSync(rss(2))),
      '/br': (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'br' }).end(zlib.brotliCompressSync(rss(3))),
      '/deflate': (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'deflate' }).end(zlib.deflateSync(rss(1))),
      '/huge': (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(big),
      '/endless': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
        const timer = setInterval(() => res.write('<item><title>more</title></item>'), 20);
        res.on('close', () => clearInterval(timer));
      },
      '/firehose': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        pump();
      },
      '/bomb': (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(BOMB),
      '/broken': (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/rss+xml' })
          .end(
            '<rss version="2.0"><channel><title>B</title>' +
              "<item><guid>b1</guid><description><a href=it's>x</a></description></item>" +
              '<item><guid>b2</guid></item><item><guid>b3</guid></item></channel></rss>',
          ),
      '/nested': (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/rss+xml' })
          .end(`<rss version="2.0"><channel>${'<x>'.repeat(100_000)}</channel></rss>`),
    });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
    await publisher?.close();
  });

  async function subscribeAndPublish(path: string): Promise<string> {
    const callback = `${subscriber.origin}/cb${path}`;
    const topic = `${publisher.origin}${path}`;
    await hub.subscribeAndWait(callback, topic);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    return topic;
  }
  const topicRow = async (url: string) => (await hub.query('select * from topics where url = $1', [url]))[0];
  const healthy = async () => (await fetch(`${hub.url}healthz`)).status === 200;

  test.each([
    ['/gzip', 2],
    ['/br', 3],
    ['/deflate', 1],
  ])('H18: a %s-encoded topic is decoded before diffing and delivered', async (path, entries) => {
    await subscribeAndPublish(path);
    await waitFor(() => subscriber.deliveries().some((d) => d.url === `/cb${path}`), { what: `${path} delivery` });
    const delivery = subscriber.deliveries().find((d) => d.url === `/cb${path}`)!;
    expect(delivery.headers['content-encoding']).toBeUndefined();
    expect(delivery.headers['x-crier-entries']).toBe(`new=${entries}, updated=0`);
  });

  test('H28: a 50 MB topic is cut off at HUB_MAX_CONTENT_BYTES, recorded on the topic, and nothing is delivered', async () => {
    const topic = await subscribeAndPublish('/huge');
    await waitFor(async () => (await topicRow(topic))?.last_fetch_error != null, { what: 'fetch error recorded' });
    expect((await topicRow(topic)).last_fetch_error).toMatch(/byte cap/);
    expect(subscriber.deliveries().some((d) => d.url === '/cb/huge')).toBe(false);
    expect(await healthy()).toBe(true);
  });

  test('H28: a never-ending trickle is abandoned by the timeout; an endless firehose by the size cap', async () => {
    const trickle = await subscribeAndPublish('/endless');
    const firehose = await subscribeAndPublish('/firehose');
    await waitFor(async () => (await topicRow(trickle))?.last_fetch_error != null && (await topicRow(firehose))?.last_fetch_error != null, {
      timeoutMs: 20000,
      what: 'both fetches abandoned',
    });
    expect((await topicRow(firehose)).last_fetch_error).toMatch(/byte cap/);
    expect(await healthy()).toBe(true);
  });

  test('an entity-expansion bomb is delivered without expanding, quickly', async () => {
    await subscribeAndPublish('/bomb');
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/cb/bomb'), { what: 'bomb delivery' });
    const delivery = subscriber.deliveries().find((d) => d.url === '/cb/bomb')!;
    expect(delivery.body.length).toBeLessThan(BOMB.length * 2);
    expect(await healthy()).toBe(true);
  });

  test('a feed with broken markup delivers every entry and records the recovery on the topic', async () => {
    const topic = await subscribeAndPublish('/broken');
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/cb/broken'), { what: 'broken delivery' });
    const delivery = subscriber.deliveries().find((d) => d.url === '/cb/broken')!;
    expect(delivery.headers['x-crier-entries']).toBe('new=3, updated=0');
    await waitFor(async () => (await topicRow(topic))?.parse_error != null, { what: 'parse problem recorded' });
    expect((await topicRow(topic)).parse_error).toMatch(/^recovered from malformed markup: unquoted value of attribute href/);
  });

  test('deeply nested XML is delivered whole and the parse problem is recorded on the topic', async () => {
    const topic = await subscribeAndPublish('/nested');
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/cb/nested'), { what: 'nested delivery' });
    expect((await topicRow(topic)).parse_error).toBeTruthy();
    expect(await healthy()).toBe(true);
  });
});
