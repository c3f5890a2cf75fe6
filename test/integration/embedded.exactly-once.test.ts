import fs from 'node:fs/promises';
import type { Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createDatabase, migrate, type Database } from '../../src/db/index.js';
import { createQueues, type Queues } from '../../src/queue/index.js';
import { TEST_ENV, uniqueName, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { embeddedDataDir } from '../helpers/embedded-template.js';

const JOBS = 2000;

// docs/architecture.md: PGlite is one session shared by every connection; prove that concurrent jobs still run exactly once.
describe('embedded mode (PGlite + BullMQ on the database)', () => {
  let dir: string;
  let db: Database;
  let queues: Queues;
  let worker: Worker | undefined;

  beforeAll(async () => {
    dir = await embeddedDataDir('crier-once-');
    const config = loadConfig({ ...TEST_ENV, HUB_DATA_DIR: dir, HUB_QUEUE_PREFIX: uniqueName() });
    db = await createDatabase(config, { log: createLogger(config) });
    await migrate(db.pool);
    queues = await createQueues(config, db, createLogger(config));
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await worker?.close();
    await queues.close();
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test(`${JOBS} jobs added in bulk and worked with concurrency 16 each run exactly once`, async () => {
    expect(db.embedded).toBe(true);
    const runs = new Map<number, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    worker = queues.work(
      'fetch',
      async (job) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        runs.set(job.data.topicId, (runs.get(job.data.topicId) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
      },
      { concurrency: 16, backoff: () => 10 },
    );
    for (let start = 0; start < JOBS; start += 250) {
      const batch = Array.from({ length: Math.min(250, JOBS - start) }, (_, i) => ({ name: 'fetch', data: { topicId: start + i + 1 } }));
      await queues.fetch.addBulk(batch);
    }
    // A job runs before it is counted completed, so once all are completed and none is left to run,
    // every run there will be (a duplicate, a stalled job re-run) has happened.
    const counts = () => queues.fetch.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized');
    await waitFor(
      async () => {
        const now = await counts();
        return now.completed + now.failed === JOBS && now.waiting + now.active + now.delayed + now.prioritized === 0;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: `${JOBS} jobs finished` },
    );
    const twice = [...runs].filter(([, n]) => n !== 1);
    expect(twice).toEqual([]);
    expect(runs.size).toBe(JOBS);
    expect([...runs.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: JOBS }, (_, i) => i + 1));
    expect(maxInFlight).toBeGreaterThan(1);
    expect(await counts()).toMatchObject({ completed: JOBS, failed: 0, waiting: 0, active: 0, delayed: 0 });
  }, 120_000);

  test('an idle worker blocked on LISTEN takes a new job at once: the NOTIFY reaches it across connections (it would sleep its whole drain delay otherwise)', async () => {
    let taken = 0;
    let drained = 0;
    // Without the NOTIFY the worker would look again only after this drain delay, long after waitFor gives up.
    const idle = queues.work('verify', () => Promise.resolve(void taken++), { concurrency: 1, backoff: () => 10, drainDelaySeconds: 600 });
    idle.on('drained', () => drained++);
    try {
      for (let i = 0; i < 3; i++) {
        // 'drained': the worker found the queue empty (again), so it blocks until woken.
        await waitFor(() => drained === i + 1, { timeoutMs: 20_000, what: `the worker idle before job ${i + 1}` });
        await queues.verify.add('verify', { intentId: i + 1 });
        await waitFor(() => taken === i + 1, { timeoutMs: 20_000, intervalMs: 5, what: `job ${i + 1} taken` });
      }
    } finally {
      await idle.close();
    }
  });
});
