import net from 'node:net';
import pg from 'pg';
import type { TestHub } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { metricValue, scrape } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

/** The hub's slots: few, so one leaked slot shows. */
const MAX_STREAMS = 6;
const PER_CLIENT = 3;

/**
 * What a held query of each handshake step reads, to find it waiting in pg_stat_activity
 * (src/db/topics.ts findTopicIdsByUrls, src/db/update-log.ts newestSeqs, and readRefsAfter (streams) or readPageAfter (long-polls)).
 */
const STEP_QUERY = {
  lookup: { table: 'topics', text: '%from topics where url = any%' },
  cursors: { table: 'notifications', text: '%unnest(%' },
  backlog: { table: 'contents', text: '%id > $2 order by%' },
} as const;

/** A raw HTTP/1.1 client on its own connection, so a test decides exactly when it goes away. */
function rawGet(hubUrl: string, path: string, headers: Record<string, string> = {}) {
  const { port } = new URL(hubUrl);
  const socket = net.connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  const request = `${lines.join('\r\n')}\r\n\r\n`;
  return {
    socket,
    /** Sends all of the request, or only its first `bytes` (headers never finished). */
    send: (bytes = request.length) => socket.write(request.slice(0, bytes)),
    headersIn: () => received.includes('\r\n\r\n'),
    received: () => received,
    abort: () => socket.destroy(),
  };
}

describe('stream and long-poll slots are released exactly once, whenever the client goes (issue 20, 2 and 6)', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let locker: pg.Client;
  // Another session: pg_stat_activity keeps one snapshot for the whole of the locker's transaction.
  let watcher: pg.Client;
  let topic: string;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis', {
      HUB_MAX_STREAMS: String(MAX_STREAMS),
      HUB_MAX_STREAMS_PER_CLIENT: String(PER_CLIENT),
      // A resuming client that takes nothing for two heartbeats is dropped (item 8): soon, here.
      HUB_STREAM_HEARTBEAT_MS: '500',
      // To name client addresses in X-Forwarded-For; without the header the client is the socket's peer.
      HUB_TRUST_PROXY: '1',
    }));
    topic = publisher.topicUrl('/slots.xml');
    publisher.set('/slots.xml', { body: rss(['one']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/slots`, topic);
    await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/slots'), { what: 'the first update' });
    locker = new pg.Client({ connectionString: hub.config.databaseUrl });
    watcher = new pg.Client({ connectionString: hub.config.databaseUrl });
    await Promise.all([locker.connect(), watcher.connect()]);
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await locker?.end();
    await watcher?.end();
    await stopHubWithPeers({ hub, publisher, subscriber });
  });

  const path = (wait: 'stream' | 'poll', params: Record<string, string> = {}) =>
    `/?${new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': topic, wait, ...params })}`;
  const held = () => hub.hub.live!.readers.size;
  const gauge = async () => metricValue(await scrape(`${hub.url}metrics`), 'crier_open_streams');

  async function allReleased(what: string) {
    await waitFor(async () => held() === 0 && (await gauge()) === 0, { what: `every slot released (${what})` });
  }

  /** Holds `table` locked until the returned function commits, so a query of the hub on it waits. */
  async function lock(table: string): Promise<() => Promise<void>> {
    await locker.query('begin');
    await locker.query(`lock table ${table} in access exclusive mode`);
    return async () => {
      await locker.query('commit');
    };
  }

  const waiting = async (text: string) =>
    (await watcher.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1", [text])).rowCount! > 0;

  /** After a held query is let go: waits until no query of that step waits any more. */
  const notWaiting = (text: string) => waitFor(async () => !(await waiting(text)), { what: 'the held query to finish' });

  /** Every slot of the process can be taken again: the cap admits MAX_STREAMS new streams (of as many clients), then they go. */
  async function capFree() {
    const clients = Array.from({ length: MAX_STREAMS }, (_, i) =>
      rawGet(hub.url, path('stream'), { 'X-Forwarded-For': `10.0.0.${i + 1}` }),
    );
    for (const c of clients) c.send();
    await waitFor(() => clients.every((c) => c.headersIn()), { what: 'every new stream answered' });
    for (const c of clients) expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(held()).toBe(MAX_STREAMS);
    for (const c of clients) c.abort();
    await allReleased('new streams closed');
  }

  test.each(['stream', 'poll'] as const)('%s: a client gone before its request is complete holds nothing', async (wait) => {
    const client = rawGet(hub.url, path(wait));
    client.send(40);
    await waitFor(() => client.socket.writableLength === 0, { what: 'the partial request written' });
    client.abort();
    await allReleased('partial request');
  });

  test.each(['stream', 'poll'] as const)('%s: a client gone right after sending its request holds nothing', async (wait) => {
    for (let i = 0; i < 20; i++) {
      const client = rawGet(hub.url, path(wait));
      client.send();
      client.abort();
    }
    await allReleased('abort right after the request');
    await capFree();
  });

  test.each([
    ['stream', 'lookup', {}],
    ['poll', 'lookup', {}],
    ['stream', 'cursors', {}],
    ['poll', 'cursors', {}],
    ['stream', 'backlog', { after: '0' }],
    ['poll', 'backlog', { after: '0' }],
  ] as const)('%s: a client gone while the %s query waits is released at once, and not charged again after', async (wait, step, params) => {
    const { table, text } = STEP_QUERY[step];
    const unlock = await lock(table);
    const client = rawGet(hub.url, path(wait, params));
    try {
      client.send();
      await waitFor(() => waiting(text), { what: `the ${step} query waiting` });
      // The slot is counted from the request's first moment, not from when the handshake's queries return.
      expect(held()).toBe(1);
      if (wait === 'stream' && step === 'backlog') {
        await waitFor(client.headersIn, { what: 'the stream headers before the backlog' });
        expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
      }
      client.abort();
      await allReleased(`abort during ${step}`);
    } finally {
      // A failed step must not leave its client holding a slot into the next test.
      client.abort();
      await unlock();
    }
    await notWaiting(text);
    await capFree();
  });

  test.each(['stream', 'poll'] as const)('%s: a client gone while held is released', async (wait) => {
    const client = rawGet(hub.url, path(wait));
    client.send();
    await waitFor(() => hub.hub.live!.updates.size === 1, { what: 'the reader watching' });
    client.abort();
    await allReleased('abort while held');
  });

  test('a burst of connect-and-abort at every moment leaves no slot taken, and new streams are admitted', async () => {
    const unlock = await lock('topics');
    const clients: ReturnType<typeof rawGet>[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const wait = i % 2 === 0 ? 'stream' : 'poll';
        const client = rawGet(hub.url, path(wait, i % 3 === 0 ? { after: '0' } : {}));
        clients.push(client);
        client.send();
        // Gone at once, on the next turn, or later: some while the lookup waits, some after it answered.
        if (i % 4 === 0) client.abort();
        else if (i % 4 === 1) setImmediate(client.abort);
        else if (i % 4 === 2) client.socket.once('connect', () => setImmediate(client.abort));
      }
      await waitFor(() => waiting(STEP_QUERY.lookup.text), { what: 'lookups waiting' });
      for (const c of clients.filter((_, i) => i % 8 === 3)) c.abort();
    } finally {
      await unlock();
    }
    for (const c of clients) c.abort();
    await notWaiting(STEP_QUERY.lookup.text);
    await allReleased('after the burst');
    await capFree();
  });

  /** A stream request on a socket that never reads: what the hub sends stays in buffers. */
  function nonReadingStream(topicUrl: string, params: Record<string, string> = {}) {
    const { port } = new URL(hub.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.pause();
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const query = new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': topicUrl, wait: 'stream', ...params });
    socket.write(`GET /?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    /** Reads what is left once the hub let go: ended instead of reset, it would close with the chunked terminator. */
    const drain = async () => {
      let tail = '';
      socket.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString('latin1')).slice(-10)));
      socket.resume();
      await closed;
      return tail;
    };
    return { socket, drain };
  }
  // A request is counted once its response closes.
  const streamsAnswered = async () =>
    metricValue(await scrape(`${hub.url}metrics`), 'crier_requests_total', { mode: 'retrieve', status: '200' });

  test('item 8: a stream whose client does not read is reset past the buffer cap, live or resuming, and its slot released', async () => {
    const big = publisher.topicUrl('/big.xml');
    await hub.subscribeAndWait(`${subscriber.origin}/big`, big);
    // Live: updates of 1 MB until the kernel's buffers are full and the hub's own passes the 1 MiB cap.
    const live = nonReadingStream(big);
    await waitFor(() => hub.hub.live!.updates.size === 1, { what: 'the stream watching' });
    const before = await streamsAnswered();
    let published = 0;
    while ((await streamsAnswered()) === before) {
      expect(published).toBeLessThan(40);
      published++;
      publisher.set('/big.xml', {
        body: rss([`big-${published}`], `<description>${'x'.repeat(1_000_000)}</description>`),
        contentType: 'application/rss+xml',
      });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': big });
      await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/big').length === published, {
        what: `big update ${published}`,
      });
    }
    await allReleased('the live stream over its buffer cap');
    expect((await live.drain()).endsWith('\r\n0\r\n\r\n')).toBe(false);

    // Resuming: the backlog waits for the client to take each event, and drops one that takes nothing for two heartbeats.
    const resumed = nonReadingStream(big, { after: '0' });
    await waitFor(async () => (await streamsAnswered()) === before + 2, { what: 'the resuming stream dropped' });
    await allReleased('the resuming stream that reads nothing');
    expect((await resumed.drain()).endsWith('\r\n0\r\n\r\n')).toBe(false);
  });

  test('item 6: the per-client cap counts an IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', async () => {
    const from = (address: string) => {
      const client = rawGet(hub.url, path('stream'), { 'X-Forwarded-For': address });
      client.send();
      return client;
    };
    const status = async (client: ReturnType<typeof rawGet>) => {
      await waitFor(client.headersIn, { what: 'an answer' });
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(client.received())![1]);
    };
    const clients: ReturnType<typeof rawGet>[] = [];
    try {
      // Rotating through one /64 does not give a fresh allowance.
      for (let i = 1; i < PER_CLIENT; i++) clients.push(from(`2001:db8:1:2::${i.toString(16)}`));
      for (const c of clients) expect(await status(c)).toBe(200);
      const rotated = from('2001:db8:1:2:ffff:ffff:ffff:ffff');
      clients.push(rotated);
      expect(await status(rotated)).toBe(200);
      const over = from('2001:db8:1:2::abcd');
      clients.push(over);
      expect(await status(over)).toBe(429);
      expect(over.received()).toMatch(/too many open streams/);
      const neighbour = from('2001:db8:1:3::1');
      clients.push(neighbour);
      expect(await status(neighbour)).toBe(200);
      for (const c of clients.splice(0)) c.abort();
      await allReleased('the /64 streams');

      // ::ffff:192.0.2.7 is 192.0.2.7.
      for (let i = 0; i < PER_CLIENT - 1; i++) clients.push(from('192.0.2.7'));
      clients.push(from('::ffff:192.0.2.7'));
      for (const c of clients) expect(await status(c)).toBe(200);
      const mapped = from('::ffff:c000:207');
      clients.push(mapped);
      expect(await status(mapped)).toBe(429);
    } finally {
      for (const c of clients) c.abort();
    }
    await allReleased('the IPv4 streams');
  });
});
