import pg from 'pg';
import { Redis } from 'ioredis';
import { startTestHub, type Backend, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { createAnnouncer, listenForUpdates, type UpdateSignal } from '../../src/updates/index.js';
import { decodeSignals, updatesChannel } from '../../src/updates/wake.js';

/**
 * Update signals from worker to web processes (docs/architecture.md, the update log): the signals of one
 * turn of the event loop travel as one message, a batch too long for NOTIFY's payload limit is split, and
 * every signal reaches the listener, over Redis pub/sub and over PostgreSQL (and PGlite) NOTIFY.
 */
describe.each(['pg-redis', 'pg-pgqueue', 'embedded'] as Backend[])('update signals on %s', (backend) => {
  let hub: TestHub;
  let heard: UpdateSignal[];
  let payloads: string[];
  let stopListening: () => Promise<void>;
  let stopObserving: () => Promise<void>;

  beforeAll(async () => {
    hub = await startTestHub(backend);
    const { config, db, log } = hub.hub.deps;
    const listener = listenForUpdates(config, db, log, { onSignal: (s) => heard.push(s), onResync: () => undefined });
    await listener.ready;
    stopListening = () => listener.close();
    // A raw subscriber of the same channel counts the messages themselves.
    const channel = updatesChannel(config);
    if (config.redisUrl) {
      const redis = new Redis(config.redisUrl);
      redis.on('message', (_c: string, message: string) => payloads.push(message));
      await redis.subscribe(channel);
      stopObserving = () => redis.quit().then(() => undefined);
    } else {
      const client = new pg.Client(db.clientConfig);
      await client.connect();
      client.on('notification', (msg) => payloads.push(msg.payload ?? ''));
      await client.query(`listen "${channel}"`);
      stopObserving = () => client.end();
    }
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await stopListening?.();
    await stopObserving?.();
    await hub?.stop();
  });
  beforeEach(() => {
    heard = [];
    payloads = [];
  });

  const signals = (count: number, from: number) => Array.from({ length: count }, (_, i) => ({ seq: from + i, topicId: 7 + (i % 5) }));
  const observed = () => payloads.flatMap(decodeSignals);

  test('the signals of one turn go out as one message, and each reaches the listener', async () => {
    const announcer = createAnnouncer(hub.config, hub.hub.deps.db, hub.hub.deps.log);
    const sent = signals(50, 1_000);
    await Promise.all(sent.map((s) => announcer.announce(s)));
    await waitFor(() => observed().length >= 50 && heard.length >= 50, { what: 'all 50 signals' });
    expect(payloads).toHaveLength(1);
    expect(heard).toEqual(sent);
    await announcer.close();
  });

  test('a batch over the NOTIFY payload limit is split into messages under it, losing none', async () => {
    const announcer = createAnnouncer(hub.config, hub.hub.deps.db, hub.hub.deps.log);
    const sent = signals(2_000, 1_000_000_000_000);
    await Promise.all(sent.map((s) => announcer.announce(s)));
    await waitFor(() => observed().length >= 2_000 && heard.length >= 2_000, { what: 'all 2000 signals' });
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect([...heard].sort((a, b) => a.seq - b.seq)).toEqual(sent);
    await announcer.close();
  });

  test('a signal announced just before close still goes out', async () => {
    const announcer = createAnnouncer(hub.config, hub.hub.deps.db, hub.hub.deps.log);
    void announcer.announce({ seq: 42, topicId: 9 });
    await announcer.close();
    await waitFor(() => heard.length >= 1, { what: 'the signal' });
    expect(heard).toEqual([{ seq: 42, topicId: 9 }]);
  });
});

test('a malformed part of a payload is skipped, the rest read', () => {
  expect(decodeSignals('5:1,x:2,,6:3,7:')).toEqual([
    { seq: 5, topicId: 1 },
    { seq: 6, topicId: 3 },
  ]);
});

test('hostile payloads: an over-long pair is skipped, and a megabyte of digits and colons is read in one pass', () => {
  expect(decodeSignals(`${'9'.repeat(40)}:1,5:2`)).toEqual([{ seq: 5, topicId: 2 }]);
  const hostile = ['1'.repeat(1_000_000), ':'.repeat(1_000_000), '1:'.repeat(500_000), ','.repeat(1_000_000)];
  for (const payload of hostile) expect(decodeSignals(payload)).toEqual([]);
  const many = Array.from({ length: 100_000 }, (_, i) => `${i}:${i}`).join(',');
  expect(decodeSignals(many)).toHaveLength(100_000);
});
