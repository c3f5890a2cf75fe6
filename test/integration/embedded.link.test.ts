import fs from 'node:fs/promises';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { TEST_ENV, uniqueName, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { embeddedDataDir } from '../helpers/embedded-template.js';

/**
 * The embedded link (src/db/embedded/link.ts, notifications.ts) at the
 * protocol level, through real `pg` clients: PGlite is one session, so every
 * connection's statements, transactions and LISTENs share it, and the link
 * must keep them apart as separate PostgreSQL sessions would be.
 */
describe('the embedded PGlite link', () => {
  let dir: string;
  let db: Database;
  const clients: pg.Client[] = [];

  async function client(): Promise<pg.Client> {
    const c = new pg.Client(db.clientConfig);
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  }

  /** Notifications a client receives, in order. */
  function heard(c: pg.Client): string[] {
    const got: string[] = [];
    c.on('notification', (n) => got.push(`${n.channel}:${n.payload ?? ''}`));
    return got;
  }

  beforeAll(async () => {
    dir = await embeddedDataDir('crier-link-');
    const config = loadConfig({ ...TEST_ENV, HUB_DATA_DIR: dir, HUB_QUEUE_PREFIX: uniqueName(), HUB_DB_IDLE_TRANSACTION_MS: '2000' });
    db = await createDatabase(config, { max: 4, log: createLogger(config) });
    await db.pool.query('create table if not exists kv (k int primary key, v text)');
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await db?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('parameterised statements from several connections interleave without meeting each other’s Parse or Bind', async () => {
    const [a, b, c] = await Promise.all([client(), client(), client()]);
    const runs = [a, b, c].flatMap((conn, n) =>
      Array.from({ length: 50 }, (_, i) =>
        conn.query({ name: i % 2 ? `named-${n}` : undefined, text: 'select $1::int * 2 as twice, $2::text as who', values: [i, `c${n}`] }),
      ),
    );
    const results = await Promise.all(runs);
    results.forEach((r, i) => expect(r.rows).toEqual([{ twice: (i % 50) * 2, who: `c${Math.floor(i / 50)}` }]));
  });

  test('a transaction is its connection’s alone: others wait for it and never see its uncommitted rows', async () => {
    const [owner, other] = await Promise.all([client(), client()]);
    await owner.query('begin');
    await owner.query(`insert into kv values (1, 'pending')`);
    const read = other.query('select count(*)::int as n from kv where k = 1');
    await owner.query('rollback');
    expect((await read).rows).toEqual([{ n: 0 }]);
  });

  test('a connection that dies inside a transaction is rolled back and the others go on', async () => {
    const [doomed, other] = await Promise.all([client(), client()]);
    await doomed.query('begin');
    await doomed.query(`insert into kv values (2, 'doomed')`);
    (doomed as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect((await other.query('select count(*)::int as n from kv where k = 2')).rows).toEqual([{ n: 0 }]);
  });

  test('NOTIFY reaches every connection listening on the channel, and only those', async () => {
    const [one, two, sender, bystander] = await Promise.all([client(), client(), client(), client()]);
    const [heardOne, heardTwo, heardSender, heardBystander] = [heard(one), heard(two), heard(sender), heard(bystander)];
    await one.query('LISTEN alpha');
    await two.query('listen "alpha"');
    await bystander.query('LISTEN other');
    await sender.query(`select pg_notify('alpha', 'x')`);
    await waitFor(() => heardOne.length === 1 && heardTwo.length === 1, { what: 'both listeners notified' });
    // A marker on the bystander's own channel, sent after: once it arrives, alpha would have too.
    await sender.query(`select pg_notify('other', 'marker')`);
    await waitFor(() => heardBystander.length === 1, { what: 'the marker' });
    expect([heardOne, heardTwo, heardBystander, heardSender]).toEqual([['alpha:x'], ['alpha:x'], ['other:marker'], []]);
    for (const c of [one, two, bystander]) await c.query('UNLISTEN *');
  });

  test('LISTEN written in a comment or a string literal listens to nothing', async () => {
    const [listener, sender, real] = await Promise.all([client(), client(), client()]);
    const got = heard(listener);
    const gotReal = heard(real);
    await real.query('LISTEN beta'); // so the session does hear beta
    await listener.query(`select 'LISTEN beta' as not_a_command`);
    await listener.query(`/* LISTEN beta */ select 1`);
    await listener.query(`-- LISTEN beta\nselect 1`);
    await listener.query('LISTEN gamma');
    await sender.query(`select pg_notify('beta', 'no'), pg_notify('gamma', 'marker')`);
    await waitFor(() => got.length >= 1 && gotReal.length >= 1, { what: 'the marker and the real listener’s notification' });
    expect([got, gotReal]).toEqual([['gamma:marker'], ['beta:no']]);
    await listener.query('UNLISTEN *');
    await real.query('UNLISTEN *');
  });

  test('a LISTEN inside a rolled-back transaction never takes effect; one inside a committed one does', async () => {
    const [listener, sender, real] = await Promise.all([client(), client(), client()]);
    const got = heard(listener);
    const gotReal = heard(real);
    await real.query('LISTEN delta'); // so the session does hear delta
    await listener.query('begin');
    await listener.query('LISTEN delta');
    await listener.query('rollback');
    await listener.query('begin');
    await listener.query('LISTEN epsilon');
    await listener.query('commit');
    await sender.query(`select pg_notify('delta', 'no'), pg_notify('epsilon', 'marker')`);
    await waitFor(() => got.length >= 1 && gotReal.length >= 1, { what: 'the marker and the real listener’s notification' });
    expect([got, gotReal]).toEqual([['epsilon:marker'], ['delta:no']]);
    await listener.query('UNLISTEN *');
    await real.query('UNLISTEN *');
  });
});
