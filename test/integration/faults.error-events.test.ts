import { Writable } from 'node:stream';
import { startOwnRedis, type OwnRedis } from '../helpers/faults.js';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

/** Issue 10: error events from long-lived clients reach the log; none is dropped on the floor. */
describe('background error events (PostgreSQL + a Redis this test stops)', () => {
  let redis: OwnRedis;
  let hub: TestHub;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(async () => {
    redis = await startOwnRedis();
    hub = await startTestHub('pg-redis', { REDIS_URL: redis.url, LOG_LEVEL: 'warn' }, { logDestination: sink });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await redis?.start(); // so the hub's queues can close cleanly
    await hub?.stop();
    await redis?.destroy();
  });

  test('a BullMQ worker error outside any job is logged with its source, once per distinct error and minute', async () => {
    await redis.stop();
    const events = () => lines.filter((l) => l.module === 'events');
    await waitFor(() => events().some((l) => String(l.source).startsWith('worker ')), { what: 'a worker error in the log' });
    const logged = events();
    expect(logged.find((l) => String(l.source).startsWith('worker '))).toMatchObject({
      level: 40,
      // Whatever the connection reported as Redis went away: ECONNREFUSED, EPIPE, a closed connection.
      err: { message: expect.stringMatching(/\S/), stack: expect.stringMatching(/\S/) },
    });
    // ioredis retries many times a second while Redis is down; each distinct error is logged once.
    const keys = logged.map((l) => JSON.stringify([l.source, l.code, (l.err as { message?: string }).message]));
    expect(new Set(keys).size).toBe(keys.length);
  }, 60_000);
});
