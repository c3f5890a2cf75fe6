import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startTestHub, TEST_ENV, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { REDIS_URL } from '../helpers/services.js';
import { waitFor } from '../helpers/wait.js';

const rss = (ids: string[]) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>${ids.map((i) => `<item><guid>${i}</guid><title>${i}</title></item>`).join('')}</channel></rss>`;
const secret = (name: string) => `${name}-${crypto.randomBytes(12).toString('hex')}`;

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream, text: () => lines.join('') };
}

/** Every string value stored under the queue prefix in Redis: job data, results, failure reasons, events. */
async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL);
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'string') out.push((await redis.get(key)) ?? '');
        else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
        else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return out.join('\n');
}

describe('secrets never leave the hub (H24, issue 4)', () => {
  test('pino redaction blanks secrets, signatures and tokens wherever log.ts lists them', () => {
    const sink = capture();
    const log = createLogger(loadConfig({ ...TEST_ENV, LOG_LEVEL: 'debug' }), sink.stream);
    const s = secret('direct');
    log.info(
      {
        secret: s,
        'hub.secret': s,
        hub: { secret: s },
        intent: { secret: s, callback: 'http://x/' },
        form: { 'hub.secret': s },
        headers: { 'x-hub-signature': `sha256=${s}`, authorization: `Bearer ${s}` },
        req: { headers: { authorization: `Bearer ${s}`, 'x-hub-signature': s } },
        config: { adminToken: s, databaseUrl: 'postgres://u:pw@h/db' },
        adminToken: s,
        signature: s,
      },
      'everything that must be redacted',
    );
    log.child({ subscription: { secret: s } }).warn({ target: { secret: s } }, 'child context');
    const dbError = Object.assign(new Error('new row for relation "intents" violates check constraint'), {
      detail: `Failing row contains (1, http://t/, http://c/, subscribe, ${s}).`,
    });
    log.error({ err: dbError }, 'request failed');
    log.error({ err: new Error('wrapped', { cause: dbError }) }, 'wrapped failure');
    expect(sink.text()).toContain('everything that must be redacted');
    expect(sink.text()).toContain('[redacted]');
    expect(sink.text()).not.toContain(s);
  });

  describe('a full flow at LOG_LEVEL=debug', () => {
    const TOKEN = secret('admin-token');
    const secrets = {
      good: secret('good'),
      flaky: secret('flaky'),
      slowVerify: secret('slow-verify'),
      tooLong: `too-long-${'x'.repeat(240)}`,
      repeated: secret('repeated'),
    };
    // Credentials in a callback's query string and a 0.3 verify token are the subscriber's too (issue 9).
    const apiKey = secret('api-key');
    const verifyToken = secret('verify-token');
    const sink = capture();
    const responses: string[] = [];
    let hub: TestHub;
    let publisher: Publisher;
    let subscriber: Subscriber;

    beforeAll(async () => {
      hub = await startTestHub(
        'pg-redis',
        { LOG_LEVEL: 'debug', HUB_ADMIN_TOKEN: TOKEN, HUB_MAX_ATTEMPTS: '4' },
        { logDestination: sink.stream },
      );
      publisher = await startPublisher();
      let flakyFailures = 0;
      let verifyFailures = 0;
      subscriber = await startSubscriber({
        verify: (q) =>
          q.get('hub.topic')?.endsWith('/slow.xml') && verifyFailures++ < 1
            ? { status: 503 }
            : { status: 200, body: q.get('hub.challenge') ?? '' },
        deliver: (req) => ({ status: req.url === '/flaky' && flakyFailures++ < 1 ? 500 : 200 }),
      });
    }, HUB_START_TIMEOUT);
    afterAll(async () => {
      await hub?.stop();
      await publisher?.close();
      await subscriber?.close();
    });

    async function post(fields: Record<string, string | string[]>) {
      const res = await hub.post(fields);
      responses.push(`${res.status} ${[...res.headers].join(' ')} ${res.text}`);
      return res;
    }

    test('no secret, signature or admin token appears in the log, in any HTTP response or in the queue store', async () => {
      const topic = publisher.topicUrl('/feed.xml');
      publisher.set('/feed.xml', { body: rss(['e1']), contentType: 'application/rss+xml' });
      publisher.set('/slow.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
      const subs: Array<[string, string, string]> = [
        [`${subscriber.origin}/good`, topic, secrets.good],
        [`${subscriber.origin}/flaky`, topic, secrets.flaky],
        [`${subscriber.origin}/slow?apikey=${apiKey}`, publisher.topicUrl('/slow.xml'), secrets.slowVerify],
      ];
      for (const [callback, t, s] of subs) {
        expect(
          (
            await post({
              'hub.mode': 'subscribe',
              'hub.callback': callback,
              'hub.topic': t,
              'hub.secret': s,
              'hub.verify_token': verifyToken,
            })
          ).status,
        ).toBe(202);
      }
      // Refused requests carrying secrets.
      expect(
        (
          await post({
            'hub.mode': 'subscribe',
            'hub.callback': `${subscriber.origin}/x`,
            'hub.topic': topic,
            'hub.secret': secrets.tooLong,
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await post({
            'hub.mode': 'subscribe',
            'hub.callback': `${subscriber.origin}/x`,
            'hub.topic': topic,
            'hub.secret': [secrets.repeated, `${secrets.repeated}2`],
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await post({
            'hub.mode': 'subscribe',
            'hub.callback': `${subscriber.origin}/x`,
            'hub.topic': topic,
            'hub.lease_seconds': 'soon',
            'hub.secret': secrets.repeated,
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await post({
            'hub.mode': 'subscribe',
            'hub.callback': `${subscriber.origin}/x`,
            'hub.topic': topic,
            'hub.secret': `${secrets.repeated}${String.fromCharCode(0)}`,
          })
        ).status,
      ).toBe(400);
      for (const [callback] of subs) {
        await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
          what: `verified ${callback}`,
        });
      }
      expect(await post({ 'hub.mode': 'publish', 'hub.url': [topic, publisher.topicUrl('/slow.xml')] })).toMatchObject({ status: 204 });
      await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/flaky').length === 2, { what: 'retried delivery' });
      await waitFor(
        () => subscriber.deliveries().some((d) => d.url === '/good') && subscriber.deliveries().some((d) => d.url.startsWith('/slow?')),
        { what: 'deliveries' },
      );
      await waitFor(
        async () =>
          (await hub.query(`select 1 from subscriptions where callback = $1 and last_delivery_status = 'delivered'`, [subs[1][0]]))
            .length === 1,
        { what: 'retry recorded' },
      );
      // A second ping of an unchanged topic logs at debug level.
      const fetchesBefore = publisher.fetches('/feed.xml').length;
      expect(await post({ 'hub.mode': 'publish', 'hub.url': topic })).toMatchObject({ status: 204 });
      await waitFor(
        () => publisher.fetches('/feed.xml').length > fetchesBefore && /topic not modified|topic body unchanged/.test(sink.text()),
        { what: 'debug line' },
      );

      // Admin views and the other GET endpoints.
      const [{ id: flakyId }] = await hub.query('select id from subscriptions where callback = $1', [subs[1][0]]);
      const [{ id: topicId }] = await hub.query('select id from topics where url = $1', [topic]);
      for (const path of [
        '/admin/subscriptions',
        `/admin/subscriptions/${flakyId}`,
        `/admin/subscriptions/${flakyId}/deliveries`,
        '/admin/topics',
        `/admin/topics/${topicId}`,
        `/admin/subscriptions?topic=${encodeURIComponent(topic)}`,
      ]) {
        const res = await fetch(new URL(path, hub.url), { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status).toBe(200);
        responses.push(`${res.status} ${[...res.headers].join(' ')} ${await res.text()}`);
      }
      const wrong = await fetch(new URL('/admin/subscriptions', hub.url), { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } });
      responses.push(`${wrong.status} ${await wrong.text()}`);
      for (const path of ['/', '/healthz', '/nope']) responses.push(await (await fetch(new URL(path, hub.url))).text());

      // The signatures the subscribers received are secret-derived: they must not be logged either.
      const signatures = subscriber
        .deliveries()
        .map((d) => String(d.headers['x-hub-signature'] ?? ''))
        .filter(Boolean);
      expect(signatures.length).toBeGreaterThanOrEqual(4);
      const forbidden = [...Object.values(secrets), apiKey, verifyToken, TOKEN, ...signatures, ...signatures.map((s) => s.split('=')[1])];

      const log = sink.text();
      expect(log).toMatch(/subscription verified/);
      expect(log).toMatch(/"level":20/); // debug lines were written
      expect(log).toMatch(/verification failed; will retry/);
      const queueStore = await redisDump(hub.config.queuePrefix);
      expect(queueStore.length).toBeGreaterThan(0);
      for (const value of forbidden) {
        expect({ value, inLog: log.includes(value) }).toEqual({ value, inLog: false });
        // The admin views name each subscription by its callback, query string included: that one is for the operator.
        if (value !== apiKey)
          expect({ value, inResponses: responses.some((r) => r.includes(value)) }).toEqual({ value, inResponses: false });
        expect({ value, inQueues: queueStore.includes(value) }).toEqual({ value, inQueues: false });
      }
    });
  });
});
