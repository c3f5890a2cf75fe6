/**
 * The hub under test, as production runs it: `node dist/cli.js all` in a
 * child process, on PostgreSQL + Redis (a fresh database and queue prefix per
 * run, dropped after) or embedded (a temp HUB_DATA_DIR).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createDatabase, migrate, upsertTopic, type Queryable } from '../../src/db/index.js';

export type Backend = 'postgres+redis' | 'embedded';
export const BACKENDS: Backend[] = ['postgres+redis', 'embedded'];

const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface HubOptions {
  backend: Backend;
  env?: Record<string, string>;
  /** Directory for `node --cpu-prof` output; unset means no profiling. */
  profileDir?: string;
  label: string;
}

export interface HubHandle {
  url: string;
  pid: number;
  backend: Backend;
  /** Runs `fn` against the hub's own database (before start or after stop only, for embedded). */
  seed<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Starts the hub and waits for /healthz (a first embedded start runs initdb: give it longer). */
  start(healthyWithinMs?: number): Promise<void>;
  /** Peak resident set (VmHWM) and current RSS of the hub process, in MB. */
  /** CPU time the hub process has used so far (user + system): steadier than wall time on a shared machine. */
  cpuSeconds(): number;
  memory(): { peakMb: number; rssMb: number };
  stop(): Promise<void>;
  /** Stops if running and removes the database, queue keys and data directory. */
  destroy(): Promise<void>;
  stderrTail(): string;
  /** The `memory` of the hub's last "hub started" log line (LOG_LEVEL=info), in MB; empty if it logs none. */
  startMemory(): Record<string, number>;
}

export async function createHub(options: HubOptions): Promise<HubHandle> {
  const id = crypto.randomBytes(5).toString('hex');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: String(port),
    HUB_PUBLIC_URL: url,
    HUB_ALLOW_PRIVATE_NETWORKS: '1',
    HUB_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
  };
  let dbName: string | undefined;
  let dataDir: string | undefined;
  if (options.backend === 'postgres+redis') {
    dbName = `crier_bench_${id}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const dbUrl = new URL(ADMIN_URL);
    dbUrl.pathname = `/${dbName}`;
    env.DATABASE_URL = dbUrl.toString();
    env.REDIS_URL = REDIS_URL;
    env.HUB_QUEUE_PREFIX = `bench_${id}`;
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crier-bench-'));
    env.HUB_DATA_DIR = dataDir;
    env.HUB_QUEUE_PREFIX = `bench_${id}`;
  }
  Object.assign(env, options.env);

  let child: ChildProcess | undefined;
  let tail: string[] = [];
  let startMemory: Record<string, number> = {};
  let exited: Promise<unknown> = Promise.resolve();

  const handle: HubHandle = {
    url,
    pid: 0,
    backend: options.backend,
    async seed(fn) {
      const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
      const db = await createDatabase(config, { max: 2, log: createLogger(config) });
      try {
        await migrate(db.pool);
        return await fn(db.pool);
      } finally {
        await db.close();
      }
    },
    async start(healthyWithinMs = 60_000) {
      const args = options.profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${options.label}-${id}.cpuprofile`]
        : [];
      child = spawn(process.execPath, [...args, 'dist/cli.js', 'all'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      handle.pid = child.pid!;
      startMemory = {};
      const collect = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (line.includes('"hub started"')) startMemory = (JSON.parse(line) as { memory?: Record<string, number> }).memory ?? {};
        }
        tail.push(chunk.toString());
        if (tail.length > 40) tail = tail.slice(-40);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      exited = new Promise((resolve) => child!.once('exit', resolve));
      const deadline = Date.now() + healthyWithinMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}: ${handle.stderrTail()}`);
        const ok = await fetch(`${url}healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`hub not healthy after ${healthyWithinMs / 1000} s: ${handle.stderrTail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    cpuSeconds() {
      // utime + stime (fields 14 and 15 after the command name), in clock ticks of 1/100 s.
      const stat = fs.readFileSync(`/proc/${handle.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    memory() {
      const status = fs.readFileSync(`/proc/${handle.pid}/status`, 'utf8');
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 25_000);
      await exited;
      clearTimeout(timer);
    },
    async destroy() {
      await handle.stop();
      if (dbName) {
        const admin = new pg.Client({ connectionString: ADMIN_URL });
        await admin.connect();
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
        const redis = new Redis(REDIS_URL, { lazyConnect: true });
        await redis.connect();
        let cursor = '0';
        do {
          const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${env.HUB_QUEUE_PREFIX}:*`, 'COUNT', 1000);
          cursor = nextCursor;
          if (keys.length) await redis.unlink(...keys);
        } while (cursor !== '0');
        await redis.quit();
      }
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    stderrTail: () => tail.join('').slice(-2000),
    startMemory: () => startMemory,
  };
  return handle;
}

/**
 * Topics through the hub's own upsert (upsertTopic; its statement over unnest
 * for many), then verified subscriptions bulk-inserted with a 10-day lease.
 * `topicOf[i]` is the topic of `callbacks[i]`; a single topic serves them all.
 */
export async function seedSubscriptions(
  db: Queryable,
  topicOf: string[],
  callbacks: string[],
  secret: string | null,
  format: 'feed' | 'json' = 'feed',
): Promise<void> {
  const distinct = [...new Set(topicOf)];
  const idOf = new Map<string, number>();
  if (distinct.length === 1) idOf.set(distinct[0], await upsertTopic(db, distinct[0]));
  else {
    const { rows } = await db.query(
      `
      insert into topics (url) select unnest($1::text[])
      on conflict (url) do update set url = excluded.url
      returning id, url`,
      [distinct],
    );
    for (const r of rows) idOf.set(r.url, Number(r.id));
  }
  for (let from = 0; from < callbacks.length; from += 10_000) {
    const slice = callbacks.slice(from, from + 10_000);
    await db.query(
      `
      insert into subscriptions (topic_id, callback, secret, lease_seconds, expires_at, format)
      select t, c, $3, 864000, now() + interval '10 days', $4 from unnest($1::bigint[], $2::text[]) as s(t, c)`,
      [slice.map((_, i) => idOf.get(topicOf.length === 1 ? topicOf[0] : topicOf[from + i])!), slice, secret, format],
    );
  }
}
