import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallbackClient, createTopicFetcher, type AddressPolicy } from '../../src/net/index.js';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { loopbackAlias } from '../helpers/hosts.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const RSS =
  '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><guid>x1</guid><title>x1</title></item></channel></rss>';
const alias = loopbackAlias();
const withAlias = alias ? test : test.skip;

const fetcherFor = (policy: AddressPolicy) =>
  createTopicFetcher({ ...policy, maxContentBytes: 1 << 20, connectTimeoutMs: 2000, requestTimeoutMs: 3000, fetchMinBytesPerSecond: 1024 });
const clientFor = (allowPrivateNetworks: boolean) =>
  createCallbackClient({ allowPrivateNetworks, connectTimeoutMs: 2000, requestTimeoutMs: 3000, originConnections: 4 });

/** A server on 127.0.0.2 (still loopback, but another address) that records every hit. */
async function startOtherLoopback(): Promise<{ port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(RSS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const blocked = expect.objectContaining({ code: 'HUB_ERR_ADDRESS_BLOCKED' });

describe('outbound requests refuse private addresses (H27)', () => {
  let publisher: Publisher;
  let subscriber: Subscriber;
  let other: Awaited<ReturnType<typeof startOtherLoopback>>;
  let port: number;

  beforeAll(async () => {
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    other = await startOtherLoopback();
    publisher.set('/feed.xml', { body: RSS, contentType: 'application/rss+xml' });
    port = Number(new URL(publisher.origin).port);
  });
  afterAll(async () => {
    await publisher?.close();
    await subscriber?.close();
    await other.close();
  });

  describe('topic fetcher', () => {
    const oddNotations = (p: number) => [
      `http://127.0.0.1:${p}/feed.xml`,
      `http://2130706433:${p}/feed.xml`,
      `http://0x7f.1:${p}/feed.xml`,
      `http://0x7f000001:${p}/feed.xml`,
      `http://[::ffff:127.0.0.1]:${p}/feed.xml`,
      `http://0177.0.0.1:${p}/feed.xml`,
      `http://127.1:${p}/feed.xml`,
      `http://localhost:${p}/feed.xml`,
      `http://localhost.:${p}/feed.xml`,
    ];

    test('H27: with default settings every notation of loopback is refused before any byte is sent', async () => {
      const fetcher = fetcherFor({ allowPrivateNetworks: false });
      try {
        for (const url of oddNotations(port)) await expect(fetcher.fetchTopic(url)).rejects.toEqual(blocked);
        expect(publisher.fetches('/feed.xml')).toHaveLength(0);
      } finally {
        fetcher.close();
      }
    });

    test('H27: the same URLs are fetched when private networks are allowed (so the refusal is the guard, not the network)', async () => {
      const fetcher = fetcherFor({ allowPrivateNetworks: true });
      try {
        for (const url of oddNotations(port).filter((u) => !u.includes('localhost.'))) {
          const res = await fetcher.fetchTopic(url);
          expect(res.status).toBe(200);
        }
      } finally {
        fetcher.close();
      }
    });

    withAlias(
      'H27 DNS rebinding: a name that is not an IP literal but resolves to loopback is refused by the lookup the HTTP client connects with',
      async () => {
        const url = `http://${alias}:${port}/feed.xml`;
        const before = publisher.fetches('/feed.xml').length;
        const guarded = fetcherFor({ allowPrivateNetworks: false });
        const open = fetcherFor({ allowPrivateNetworks: true });
        try {
          await expect(guarded.fetchTopic(url)).rejects.toEqual(
            expect.objectContaining({ code: 'HUB_ERR_ADDRESS_BLOCKED', message: expect.stringContaining(`${alias} resolves to 127.`) }),
          );
          expect(publisher.fetches('/feed.xml')).toHaveLength(before);
          expect((await open.fetchTopic(url)).status).toBe(200);
        } finally {
          guarded.close();
          open.close();
        }
      },
    );

    withAlias('H27: the allow list is applied to the resolved address, not the name', async () => {
      const allowOne = fetcherFor({ allowPrivateNetworks: false, allowAddresses: ['127.0.0.1'] });
      const allowOther = fetcherFor({ allowPrivateNetworks: false, allowAddresses: ['127.0.0.2'] });
      try {
        expect((await allowOne.fetchTopic(`http://${alias}:${port}/feed.xml`)).status).toBe(200);
        await expect(allowOther.fetchTopic(`http://${alias}:${port}/feed.xml`)).rejects.toEqual(blocked);
      } finally {
        allowOne.close();
        allowOther.close();
      }
    });

    test('H27: every redirect hop is re-checked: 127.0.0.1 allowed, a redirect to 127.0.0.2 is refused and never reached', async () => {
      const fetcher = fetcherFor({ allowPrivateNetworks: false, allowAddresses: ['127.0.0.1'] });
      const targets = [
        `http://127.0.0.2:${other.port}/direct`,
        `http://[::ffff:127.0.0.2]:${other.port}/mapped`,
        `http://0x7f.0.0.2:${other.port}/hex`,
        `http://localhost:${other.port}/byname`,
        'http://169.254.169.254/latest/meta-data/',
      ];
      try {
        for (const [i, target] of targets.entries()) {
          publisher.set(`/redirect-${i}`, { status: 302, body: '', contentType: 'text/plain', headers: { location: target } });
          await expect(fetcher.fetchTopic(publisher.topicUrl(`/redirect-${i}`))).rejects.toEqual(blocked);
        }
        // A two-hop chain whose second hop leaves the allowed address.
        publisher.set('/hop1', { status: 301, body: '', contentType: 'text/plain', headers: { location: '/hop2' } });
        publisher.set('/hop2', {
          status: 307,
          body: '',
          contentType: 'text/plain',
          headers: { location: `http://127.0.0.2:${other.port}/hop3` },
        });
        await expect(fetcher.fetchTopic(publisher.topicUrl('/hop1'))).rejects.toEqual(blocked);
        expect(publisher.fetches('/hop2')).toHaveLength(1);
        expect(other.hits).toEqual([]);
        // A redirect that stays on the allowed address is followed.
        publisher.set('/moved', { status: 301, body: '', contentType: 'text/plain', headers: { location: '/feed.xml' } });
        const res = await fetcher.fetchTopic(publisher.topicUrl('/moved'));
        expect(res.status).toBe(200);
        expect(res.url).toBe(publisher.topicUrl('/feed.xml'));
      } finally {
        fetcher.close();
      }
    });

    test('H27: a redirect to a non-http scheme is refused even when private networks are allowed', async () => {
      const fetcher = fetcherFor({ allowPrivateNetworks: true });
      try {
        publisher.set('/to-file', { status: 302, body: '', contentType: 'text/plain', headers: { location: 'file:///etc/passwd' } });
        await expect(fetcher.fetchTopic(publisher.topicUrl('/to-file'))).rejects.toBeInstanceOf(Error);
        const res = await fetcher.fetchTopic(publisher.topicUrl('/to-file')).catch((err: Error) => err);
        expect(res).not.toHaveProperty('body');
      } finally {
        fetcher.close();
      }
    });
  });

  describe('callback client (undici)', () => {
    test('H27: with default settings verifications and deliveries to loopback literals are refused', async () => {
      const client = clientFor(false);
      try {
        const before = subscriber.requests.length;
        for (const url of [
          `${subscriber.origin}/cb`,
          `http://0x7f.1:${new URL(subscriber.origin).port}/cb`,
          `http://[::ffff:127.0.0.1]:${new URL(subscriber.origin).port}/cb`,
        ]) {
          await expect(client.get(url)).rejects.toEqual(blocked);
          await expect(client.post(url, Buffer.from('x'), { 'content-type': 'text/plain' })).rejects.toEqual(blocked);
        }
        expect(subscriber.requests).toHaveLength(before);
      } finally {
        await client.close();
      }
    });

    withAlias('H27 DNS rebinding: undici connects through the guarded lookup, so a name resolving to loopback is refused', async () => {
      const url = `http://${alias}:${new URL(subscriber.origin).port}/rebind?hub.challenge=abc`;
      const guarded = clientFor(false);
      const open = clientFor(true);
      try {
        const before = subscriber.requests.length;
        await expect(guarded.get(url)).rejects.toEqual(
          expect.objectContaining({ code: 'HUB_ERR_ADDRESS_BLOCKED', message: expect.stringContaining(`${alias} resolves to 127.`) }),
        );
        await expect(guarded.post(url, Buffer.from('x'), {})).rejects.toEqual(blocked);
        expect(subscriber.requests).toHaveLength(before);
        expect(await open.get(url)).toEqual({ status: 200, body: 'abc' });
      } finally {
        await guarded.close();
        await open.close();
      }
    });

    test('H22 H27: a callback answering a redirect to another address is not followed', async () => {
      const client = clientFor(true);
      try {
        subscriber.behave({ deliver: () => ({ status: 307, headers: { location: `http://127.0.0.2:${other.port}/stolen` } }) });
        const res = await client.post(`${subscriber.origin}/redirecting`, Buffer.from('x'), { 'content-type': 'text/plain' });
        expect(res.status).toBe(307);
        expect(other.hits).toEqual([]);
      } finally {
        subscriber.behave({});
        await client.close();
      }
    });
  });
});

describe('the hub with default settings (H27)', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_ALLOW_PRIVATE_NETWORKS: '0' });
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    publisher.set('/feed.xml', { body: RSS, contentType: 'application/rss+xml' });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await publisher?.close();
    await subscriber?.close();
  });

  test('H27: a subscription whose callback is a loopback, metadata or private literal is refused with 400', async () => {
    const p = new URL(subscriber.origin).port;
    for (const callback of [
      `${subscriber.origin}/cb`,
      `http://2130706433:${p}/cb`,
      `http://0x7f.1:${p}/cb`,
      `http://[::ffff:127.0.0.1]:${p}/cb`,
      `http://0177.0.0.1:${p}/cb`,
      `http://127.1:${p}/cb`,
      `http://localhost:${p}/cb`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://10.0.0.1/cb',
      'http://100.64.0.1/cb',
    ]) {
      const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/feed.xml') });
      expect({ callback, status: res.status }).toEqual({ callback, status: 400 });
      expect(res.text).toMatch(/may not contact/);
    }
    expect(subscriber.requests).toHaveLength(0);
  });

  withAlias(
    'H27: a callback named by a host that resolves to loopback is accepted, then never contacted; the intent is dropped without retries',
    async () => {
      const callback = `http://${alias}:${new URL(subscriber.origin).port}/named`;
      const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/feed.xml') });
      expect(res.status).toBe(202);
      await waitFor(async () => (await hub.query('select 1 from intents where callback = $1', [callback])).length === 0, {
        what: 'intent dropped',
      });
      // Dropped is final: with no intent left, nothing will ever call the callback.
      expect(subscriber.requests).toHaveLength(0);
      expect(await hub.query('select 1 from subscriptions where callback = $1', [callback])).toHaveLength(0);
    },
  );

  withAlias(
    'H27: a topic whose name resolves to loopback is not fetched; the topic row records the refusal and it is not retried',
    async () => {
      const topicUrl = `http://${alias}:${new URL(publisher.origin).port}/feed.xml`;
      await hub.query('insert into topics (url) values ($1)', [topicUrl]);
      const res = await hub.post({ 'hub.mode': 'publish', 'hub.url': topicUrl });
      expect(res.status).toBe(204);
      await waitFor(
        async () => (await hub.query('select last_fetch_error from topics where url = $1', [topicUrl]))[0].last_fetch_error !== null,
        { what: 'fetch recorded' },
      );
      const [row] = await hub.query('select last_fetch_error, last_fetch_status from topics where url = $1', [topicUrl]);
      expect(row.last_fetch_error).toMatch(/resolves to 127\..*may not contact/);
      expect(row.last_fetch_status).toBeNull();
      // A blocked address is permanent: no fetch job is left waiting or delayed to try again.
      expect(publisher.fetches('/feed.xml')).toHaveLength(0);
      const failed = await hub.hub.deps.queues.fetch.getJobCounts('failed', 'delayed', 'wait');
      expect(failed.delayed + failed.wait).toBe(0);
    },
  );
});

describe('the hub with HUB_ALLOW_PRIVATE_NETWORKS=1 (H27)', () => {
  test('loopback callbacks and topics work only when the operator allows private networks', async () => {
    const hub = await startTestHub('pg-redis', { HUB_ALLOW_PRIVATE_NETWORKS: '1' });
    const publisher = await startPublisher();
    const subscriber = await startSubscriber();
    try {
      publisher.set('/feed.xml', { body: RSS, contentType: 'application/rss+xml' });
      const callback = `${subscriber.origin}/ok`;
      expect(
        (await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': publisher.topicUrl('/feed.xml') })).status,
      ).toBe(202);
      await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
        what: 'verified',
      });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl('/feed.xml') });
      await waitFor(() => subscriber.deliveries().length === 1, { what: 'delivery' });
    } finally {
      await hub?.stop();
      await publisher?.close();
      await subscriber?.close();
    }
  });
});
