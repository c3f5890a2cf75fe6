import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { TEST_ENV, uniqueName, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { embeddedDataDir } from '../helpers/embedded-template.js';

/**
 * This process's listening sockets (TCP, TCP6 and unix), as `kind:inode`: the
 * kernel's socket tables filtered to the inodes of our own descriptors.
 */
function listeningSockets(): string[] {
  const ours = new Set<string>();
  for (const fd of fsSync.readdirSync('/proc/self/fd')) {
    const target = (() => {
      try {
        return fsSync.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })();
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) ours.add(inode);
  }
  const found: string[] = [];
  for (const kind of ['tcp', 'tcp6']) {
    for (const line of fsSync.readFileSync(`/proc/net/${kind}`, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && ours.has(cols[9])) found.push(`${kind}:${cols[9]}`);
    }
  }
  for (const line of fsSync.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // Flags 00010000: accepting connections.
    if (cols[3] === '00010000' && ours.has(cols[6])) found.push(`unix:${cols[6]}`);
  }
  return found.sort();
}

/** Issue 9, item 1: the embedded database has no network listener, and no connection can hold its one session forever. */
describe('the embedded database session', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = await embeddedDataDir('crier-session-');
    const config = loadConfig({ ...TEST_ENV, HUB_DATA_DIR: dir, HUB_QUEUE_PREFIX: uniqueName(), HUB_DB_IDLE_TRANSACTION_MS: '300' });
    db = await createDatabase(config, { max: 2, log: createLogger(config) });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await db?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('nothing listens for it: the process opens no TCP port and no unix socket, and pg still reaches it', async () => {
    // db was created in beforeAll; a second one shows the before and after here.
    const before = listeningSockets();
    const secondConfig = loadConfig({
      ...TEST_ENV,
      HUB_DATA_DIR: await embeddedDataDir('crier-session2-'),
      HUB_QUEUE_PREFIX: uniqueName(),
    });
    const second = await createDatabase(secondConfig, { max: 2, log: createLogger(secondConfig) });
    try {
      expect((await second.pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(listeningSockets()).toEqual(before);
      expect(second.clientConfig).not.toHaveProperty('connectionString');
      expect(second.clientConfig).not.toHaveProperty('host');
    } finally {
      await second.close();
    }
  });

  test('a connection idle inside a transaction is ended and rolled back, and the others go on', async () => {
    await db.pool.query('create table if not exists held (n int)');
    const stuck = new pg.Client(db.clientConfig);
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
