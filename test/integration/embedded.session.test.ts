import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { TEST_ENV, uniqueName } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

/** Issue 9, item 1: the embedded database has no network listener, and no connection can hold its one session forever. */
describe('the embedded database session', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-session-'));
    const config = loadConfig({ ...TEST_ENV, HUB_DATA_DIR: dir, HUB_QUEUE_PREFIX: uniqueName(), HUB_DB_IDLE_TRANSACTION_MS: '300' });
    db = await createDatabase(config, { max: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('it is served on a unix socket in a directory only its owner can enter, never on a TCP port', async () => {
    const url = new URL(db.url);
    const socketDir = url.searchParams.get('host');
    expect(socketDir).toMatch(/^\//);
    expect((await fs.stat(socketDir!)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(socketDir!, '.s.PGSQL.5432'))).isSocket()).toBe(true);
    expect((await db.pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  test('a connection idle inside a transaction is ended and rolled back, and the others go on', async () => {
    await db.pool.query('create table if not exists held (n int)');
    const stuck = new pg.Client({ connectionString: db.url });
    let ended = false;
    stuck.on('error', () => (ended = true));
    stuck.on('end', () => (ended = true));
    await stuck.connect();
    await stuck.query('begin');
    await stuck.query('insert into held values (1)');
    // The next statement from anyone else waits for the session, until the idle owner is ended.
    const { rows } = await db.pool.query('select count(*)::int as n from held');
    expect(rows).toEqual([{ n: 0 }]);
    await waitFor(() => ended, { what: 'the idle connection ended' });
    await stuck.end().catch(() => {});
  });
});
