import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPgliteThread, type PgliteThread } from '../../src/db/embedded/host.js';
import { uniqueName } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The thread boundary of the embedded database (src/db/embedded/host.ts,
 * port-stream.ts, thread.ts): real `pg` clients in this thread,
 * PGlite in a worker thread, bytes over message ports. What must hold is what
 * a PostgreSQL server gives separate sessions, and that a dead thread fails
 * every connection at once instead of leaving them waiting.
 */
describe('the embedded database thread', () => {
  let dir: string;
  let thread: PgliteThread;
  let lost: Error[] = [];
  const clients: pg.Client[] = [];

  const open = () =>
    startPgliteThread({
      dir: path.join(dir, 'pglite'),
      queuePrefix: uniqueName(),
      idleTransactionMs: 5000,
      sharedBuffersMb: 8,
      wasmBaselineOnly: false,
      onLost: (err) => lost.push(err),
    });

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ stream: () => thread.connect(), user: 'postgres', database: 'postgres' });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  }

  // First start runs initdb inside the thread, then reopens: slow on a loaded 2-core machine.
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-thread-'));
    thread = await open();
    const setup = await client();
    await setup.query('create table kv (k int primary key, v text)');
  }, 300_000);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await thread?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('interleaved extended-protocol traffic from several connections, with transactions, keeps each connection’s answers its own', async () => {
    const conns = await Promise.all(Array.from({ length: 6 }, () => client()));
    const work = conns.map(async (c, n) => {
      for (let i = 0; i < 20; i++) {
        const key = n * 1000 + i;
        // Queued at once: begin, insert, read back and commit, while the other connections do the same.
        const steps = [
          c.query('begin'),
          c.query({ name: `ins-${n}`, text: 'insert into kv values ($1, $2)', values: [key, `c${n}-${i}`] }),
          c.query('select v from kv where k = $1', [key]),
          c.query({ text: 'select count(*)::int as n from kv where k between $1 and $2', values: [n * 1000, n * 1000 + 999] }),
          c.query('commit'),
        ];
        const [, , read, count] = await Promise.all(steps);
        expect(read.rows).toEqual([{ v: `c${n}-${i}` }]);
        expect(count.rows).toEqual([{ n: i + 1 }]);
      }
    });
    await Promise.all(work);
    const { rows } = await conns[0].query('select count(*)::int as n from kv where k < 6000');
    expect(rows).toEqual([{ n: 120 }]);
  });

  test('replies far larger than one chunk cross the boundary intact, in both directions', async () => {
    const c = await client();
    const big = 'x'.repeat(3 * 1024 * 1024) + 'end';
    await c.query('insert into kv values ($1, $2)', [9_000_001, big]);
    const [{ v, len }] = (await c.query('select v, length(v)::int as len from kv where k = $1', [9_000_001])).rows;
    expect(len).toBe(big.length);
    expect(v === big).toBe(true);
  });

  test('a connection that dies inside a transaction, with others queued behind it, is rolled back and the others go on', async () => {
    const [doomed, a, b] = await Promise.all([client(), client(), client()]);
    await doomed.query('begin');
    await doomed.query(`insert into kv values (9000002, 'doomed')`);
    // These wait for the session: the doomed connection owns it until its transaction ends.
    const waiting = [a.query('select count(*)::int as n from kv where k = 9000002'), b.query(`insert into kv values (9000003, 'after')`)];
    (doomed as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const [read] = await Promise.all(waiting);
    expect(read.rows).toEqual([{ n: 0 }]);
    expect((await a.query('select k from kv where k in (9000002, 9000003)')).rows).toEqual([{ k: 9000003 }]);
  });

  test('NOTIFY crosses to an idle listener on another connection, and only once the sender commits', async () => {
    const [listener, sender, bystander] = await Promise.all([client(), client(), client()]);
    const heard: string[] = [];
    const heardByBystander: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    bystander.on('notification', (n) => heardByBystander.push(`${n.channel}:${n.payload}`));
    await listener.query('listen wake');
    await sender.query('begin');
    await sender.query(`notify wake, 'one'`);
    await sender.query(`notify other, 'no'`);
    // Uncommitted: nothing may reach the listener yet. A read on the bystander runs after the transaction ends.
    const after = bystander.query('select 1');
    await sender.query('commit');
    await after;
    // The listener sends nothing: the notification is pushed to it across the thread.
    await waitFor(() => heard.length > 0, { what: 'the idle listener to hear the notification' });
    await sender.query(`notify wake, 'two'`);
    await waitFor(() => heard.length === 2, { what: 'the second notification' });
    expect(heard).toEqual(['wake:one', 'wake:two']);
    expect(heardByBystander).toEqual([]);
  });

  test('PostgreSQL runs with the shared_buffers it was given, and the thread reports how much of its memory is resident', async () => {
    const c = await client();
    expect((await c.query('show shared_buffers')).rows).toEqual([{ shared_buffers: '8MB' }]);
    const memory = await thread.memory();
    // PGlite's smallest WebAssembly memory is 128 MiB; PostgreSQL fills its shared memory (8 MB of buffers and the rest) at start.
    expect(memory.wasm).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(memory.wasmResident).toBeGreaterThan(8 * 2 ** 20);
    expect(memory.wasmResident).toBeLessThan(memory.wasm);
  });

  test('a data directory that cannot be created fails the start with the initdb process’s reason', async () => {
    const blocker = path.join(dir, 'not-a-directory');
    await fs.writeFile(blocker, '');
    const start = startPgliteThread({
      dir: path.join(blocker, 'pglite'),
      queuePrefix: uniqueName(),
      idleTransactionMs: 5000,
      sharedBuffersMb: 8,
      wasmBaselineOnly: false,
    });
    await expect(start).rejects.toThrow(/failed to initialise .*not-a-directory.*ENOTDIR/s);
  });

  test('close flushes PGlite: after a restart on the same directory every committed row is there', async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    await thread.close();
    thread = await open();
    const c = await client();
    expect((await c.query('select count(*)::int as n from kv')).rows).toEqual([{ n: 122 }]);
  }, 60_000);

  test('a thread that dies fails every connection and new ones at once, and says so', async () => {
    const [idle, busy] = await Promise.all([client(), client()]);
    const idleEnded = new Promise((resolve) => idle.once('end', resolve));
    await busy.query('begin');
    const pending = expect(busy.query('select pg_sleep(5)')).rejects.toThrow();
    lost = [];
    await thread.worker.terminate();
    await pending;
    await idleEnded;
    expect(lost).toHaveLength(1);
    expect(lost[0].message).toMatch(/embedded database thread stopped/);
    const late = new pg.Client({ stream: () => thread.connect(), user: 'postgres', database: 'postgres' });
    late.on('error', () => undefined);
    await expect(late.connect()).rejects.toThrow();
    await thread.close();
  });
});
