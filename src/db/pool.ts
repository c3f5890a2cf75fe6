import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { errorEventLogger } from '../error-events.js';
import type { ThreadMemory } from './embedded/protocol.js';
import { setUpProcess } from '../process-setup.js';

/** Anything that runs a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface Database {
  pool: pg.Pool;
  /** How other components (BullMQ's PostgreSQL backend) connect: a connection string, or the embedded link. */
  clientConfig: pg.PoolConfig;
  /** True when this process hosts the embedded PGlite. */
  embedded: boolean;
  /** Embedded only: the database thread's share of this process's memory. */
  threadMemory?: () => Promise<ThreadMemory>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
  log: Logger;
  /** Embedded only: told if the PGlite thread stops without being asked to (the hub cannot go on). */
  onLost?: (err: Error) => void;
}

/**
 * PostgreSQL when DATABASE_URL is set; otherwise embedded PGlite under
 * HUB_DATA_DIR, run in its own worker thread (embedded/host.ts) and reached
 * through message-port streams (no listener of any kind), so the same `pg`
 * code serves both and the database never queues behind the HTTP front.
 */
export async function createDatabase(config: Config, options: DatabaseOptions): Promise<Database> {
  setUpProcess();
  const max = options.max ?? config.dbPoolSize;
  // An idle client's lost connection: the next query reports it to its caller, this to the operator.
  const onPoolError = errorEventLogger(options.log, 'database pool');
  if (config.databaseUrl) {
    const clientConfig = { connectionString: config.databaseUrl };
    const pool = new pg.Pool({ ...clientConfig, max });
    pool.on('error', onPoolError);
    return { pool, clientConfig, embedded: false, close: () => pool.end() };
  }
  const { startPgliteThread } = await import('./embedded/host.js');
  const { secureDataDir } = await import('./data-dir.js');
  const loosened = secureDataDir(config.dataDir);
  if (loosened > 0)
    options.log.warn(
      { module: 'pglite', dir: config.dataDir, entries: loosened },
      'data directory was open to other local users: group and other access removed',
    );
  const { baselineOnlyTakesEffect } = await import('./embedded/open.js');
  if (config.dbWasmBaselineOnly && !baselineOnlyTakesEffect(process.version, process.execArgv, process.env.NODE_OPTIONS))
    options.log.warn(
      { module: 'pglite' },
      `HUB_DB_WASM_BASELINE_ONLY has no effect on Node ${process.version} by itself: ` +
        'start node with --liftoff-only (NODE_OPTIONS=--liftoff-only)',
    );
  const thread = await startPgliteThread({
    dir: path.join(config.dataDir, 'pglite'),
    queuePrefix: config.queuePrefix,
    idleTransactionMs: config.dbIdleTransactionMs,
    sharedBuffersMb: config.dbSharedBuffersMb,
    wasmBaselineOnly: config.dbWasmBaselineOnly,
    onIdleTransaction: (connection) =>
      options.log.warn(
        { module: 'pglite', connection, idleMs: config.dbIdleTransactionMs },
        'embedded database connection idle inside a transaction; ended and rolled back',
      ),
    onLost: (err) => {
      options.log.error({ module: 'pglite', err }, 'embedded database thread stopped; every query fails from now on');
      options.onLost?.(err);
    },
  });
  // What initdb and PGlite's start wrote carries PGlite's own modes (0666): made owner-only now, and again at close.
  secureDataDir(config.dataDir);
  const clientConfig: pg.PoolConfig = { stream: () => thread.connect(), user: 'postgres', database: 'postgres' };
  const pool = new pg.Pool({ ...clientConfig, max });
  pool.on('error', onPoolError);
  return {
    pool,
    clientConfig,
    embedded: true,
    threadMemory: () => thread.memory(),
    async close() {
      await pool.end();
      await thread.close();
      secureDataDir(config.dataDir);
    },
  };
}

/** Runs `fn` in one transaction on one client; keep it short (PGlite serialises them). */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // Set when the rollback fails: the connection may still hold the transaction, so pg destroys it.
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
