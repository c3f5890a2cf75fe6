import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startHub, type RunningHub } from '../../src/main.js';
import { embeddedDataDir } from './embedded-template.js';
import { PG_ADMIN_URL, REDIS_URL, databaseUrl, templateDb } from './services.js';
import { freePort } from './ports.js';
import { queuesIdle } from './queues.js';
import { waitFor } from './wait.js';

/** The storage/queue combinations the integration flows run on (docs/architecture.md, Backends). */
export type Backend = 'embedded' | 'pg-redis' | 'pg-pgqueue';
export const BACKENDS: Backend[] = ['embedded', 'pg-redis', 'pg-pgqueue'];

export interface TestHub {
  url: string;
  hub: RunningHub;
  config: Config;
  backend: Backend;
  /** Runs SQL against the hub's database. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** POSTs a form to the hub; returns status and text. */
  post(
    fields: Record<string, string | string[]>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; text: string; headers: Headers }>;
  /** True when none of the hub's queues holds a job still to run or running (test/helpers/queues.ts). */
  idle(): Promise<boolean>;
  /** Subscribes `callback` to `topic` (extra hub.* fields optional) and waits until it is verified. */
  subscribeAndWait(callback: string, topic: string, extra?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Timeout of a hook that starts hubs (`beforeAll(..., HUB_START_TIMEOUT)`): jest's 30 s is not enough on a
 * loaded machine, where one embedded hub took 16-21 s to start from the run's template data directory (with
 * load average 30 on 2 cores), and a hook may start several hubs.
 */
export const HUB_START_TIMEOUT = 120_000;

/** Environment every test hub shares: loopback allowed, fast retries, quiet logs. */
export const TEST_ENV = {
  HUB_ALLOW_PRIVATE_NETWORKS: '1',
  HUB_RETRY_BASE_MS: '100',
  HUB_MAX_ATTEMPTS: '3',
  HUB_RATE_LIMIT_PER_MINUTE: '0',
  HUB_REQUEST_TIMEOUT_MS: '3000',
  // Tests ping a topic again right after a fetch; the spacing has its own test (fetch.fairness).
  HUB_FETCH_MIN_INTERVAL_SECONDS: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
};

/** A unique name usable as database name and queue prefix; it carries the run's id (global-setup.js) for the teardown. */
export function uniqueName(): string {
  return `t_${process.env.CRIER_TEST_RUN ?? 'norun'}_${crypto.randomBytes(5).toString('hex')}`;
}

/** Environment for a fresh, isolated backend: a cloned database, a unique queue prefix or data dir. */
export async function provisionBackend(backend: Backend): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  const name = uniqueName();
  if (backend === 'embedded') {
    const dir = await embeddedDataDir();
    return { env: { HUB_DATA_DIR: dir, HUB_QUEUE_PREFIX: name }, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
  }
  const dbName = `crier_test_${name}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName} template ${templateDb()}`);
  await admin.end();
  const env: Record<string, string> = { DATABASE_URL: databaseUrl(dbName), HUB_QUEUE_PREFIX: name };
  if (backend === 'pg-redis') env.REDIS_URL = REDIS_URL;
  return {
    env,
    async cleanup() {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${dbName} with (force)`);
      await client.end();
      if (backend === 'pg-redis') await deleteRedisPrefix(name);
    },
  };
}

async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

/** Starts a whole hub in-process on `backend`, listening on a free loopback port. */
export async function startTestHub(
  backend: Backend,
  overrides: Record<string, string> = {},
  options: {
    /** Where the hub's log lines go (default stdout), e.g. to capture them. */
    logDestination?: NodeJS.WritableStream;
    /** Run on this already provisioned backend (several hubs sharing one database); stop() leaves it in place. */
    shared?: { env: Record<string, string> };
    /** The hub's clock (rate-limit windows), e.g. frozen mid-minute. */
    clock?: () => number;
  } = {},
): Promise<TestHub> {
  const provisioned = options.shared ? { env: options.shared.env, cleanup: () => Promise.resolve() } : await provisionBackend(backend);
  const port = await freePort();
  const config = loadConfig({
    ...TEST_ENV,
    ...provisioned.env,
    PORT: String(port),
    HUB_PUBLIC_URL: `http://127.0.0.1:${port}/`,
    ...overrides,
  });
  const hub = await startHub(config, { log: createLogger(config, options.logDestination), sweepIntervalMs: 500, clock: options.clock });
  const url = hub.url!;
  const testHub: TestHub = {
    url,
    hub,
    config,
    backend,
    async query(sql, params) {
      const { rows } = await hub.deps.db.pool.query(sql, params as unknown[]);
      return rows;
    },
    async post(fields, headers = {}) {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
      const res = await fetch(url, { method: 'POST', body: form, headers });
      return { status: res.status, text: await res.text(), headers: res.headers };
    },
    idle() {
      const { verify, fetch, deliver } = hub.deps.queues;
      return queuesIdle([verify, fetch, deliver]);
    },
    async subscribeAndWait(callback, topic, extra = {}) {
      // This pair's verification, not any earlier one: the same callback may hold other topics, or this one already (a renewal).
      const verifiedAt = `select s.verified_at from subscriptions s join topics t on t.id = s.topic_id where s.callback = $1 and t.url = $2`;
      // The hub stores URLs as WHATWG URL serializes them (hub/urls.ts).
      const serialized = (u: string) => (URL.canParse(u) ? new URL(u).href : u);
      const pair = [serialized(callback), serialized(topic)];
      const [before] = await testHub.query<{ verified_at: Date }>(verifiedAt, pair);
      const res = await testHub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic, ...extra });
      if (res.status !== 202) throw new Error(`subscribe answered ${res.status}: ${res.text}`);
      await waitFor(
        async () => {
          const [row] = await testHub.query<{ verified_at: Date }>(verifiedAt, pair);
          return row !== undefined && (before === undefined || row.verified_at.getTime() > before.verified_at.getTime());
        },
        { what: `subscription of ${callback} to ${topic}` },
      );
    },
    async stop() {
      await hub.close();
      await provisioned.cleanup();
    },
  };
  return testHub;
}
