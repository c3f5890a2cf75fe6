import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startHub, type RunningHub } from '../../src/main.js';
import { TEST_ENV, uniqueName } from './hub.js';
import { freePort } from './ports.js';
import { probe } from './services.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
/** PostgreSQL's server binaries (initdb, pg_ctl): wherever this machine's version keeps them. */
const PG_BIN = process.env.PG_BIN ?? execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
const CLI = path.resolve('dist/cli.js');

/** A private redis-server (AOF on) this test may stop and start without disturbing anyone. */
export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', dir, '--save', '', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(() => probe('127.0.0.1', port, 200), { timeoutMs: 10_000, what: `redis on ${port}` });
    const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await waitFor(async () => (await client.ping().catch(() => '')) === 'PONG', { timeoutMs: 10_000, what: 'redis loading its AOF' });
    client.disconnect();
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGTERM'); // redis flushes its AOF and exits
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async destroy() {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A private PostgreSQL cluster (initdb into a temp dir, run as the postgres OS user). */
export interface OwnPostgres {
  url: string;
  /** Stops the server abruptly (`-m immediate`: crash recovery on the next start). */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-pg-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, cmd), ...args], { cwd: dir });
  await run('chown', ['postgres', dir]);
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let running = false;
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Environment of a hub on the given services. */
export function faultEnv(
  services: { databaseUrl?: string; redisUrl?: string },
  overrides: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = { ...TEST_ENV, HUB_QUEUE_PREFIX: uniqueName(), ...overrides };
  if (services.databaseUrl) env.DATABASE_URL = services.databaseUrl;
  if (services.redisUrl) env.REDIS_URL = services.redisUrl;
  return env;
}

/** A hub in this process on `env`; returns it and its URL (when it serves HTTP). */
export async function startHubIn(env: Record<string, string>): Promise<RunningHub & { healthz(): Promise<number> }> {
  const port = env.PORT ?? String(await freePort());
  const config = loadConfig({ ...env, PORT: port, HUB_PUBLIC_URL: `http://127.0.0.1:${port}/` });
  const hub = await startHub(config, { log: createLogger(config), sweepIntervalMs: 500 });
  return Object.assign(hub, { healthz: () => healthz(hub.url!) });
}

export async function healthz(url: string): Promise<number> {
  const controller = AbortSignal.timeout(3000);
  return fetch(new URL('/healthz', url), { signal: controller }).then(
    (r) => r.status,
    () => 0,
  );
}

/** `node dist/cli.js <role>` as a child process. */
export interface HubProcess {
  proc: ChildProcess;
  url: string | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export async function spawnHub(role: 'all' | 'web' | 'worker', env: Record<string, string>): Promise<HubProcess> {
  const port = role === 'worker' ? '0' : String(await freePort());
  const proc = spawn(process.execPath, [CLI, role], {
    env: { ...process.env, ...env, PORT: port, HUB_PUBLIC_URL: `http://127.0.0.1:${port}/`, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => void (output = (output + c.toString()).slice(-20_000)));
  proc.stderr.on('data', (c: Buffer) => void (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = role === 'worker' ? undefined : `http://127.0.0.1:${port}/`;
  if (url) await waitFor(async () => (await healthz(url)) === 200, { timeoutMs: 30_000, what: `crier ${role} healthy` });
  else await waitFor(() => /hub started/.test(output) || proc.exitCode !== null, { timeoutMs: 30_000, what: `crier ${role} started` });
  return { proc, url, exited, output: () => output };
}

/**
 * Loopback callbacks that count, per callback path, every delivery id received,
 * answer after `delayMs`, and note which answers were fully sent (the hub waited for them).
 */
export interface Sink {
  origin: string;
  /** callback path -> delivery id -> times received */
  received: Map<string, Map<string, number>>;
  total(): number;
  /** Answers written in full before the hub hung up. */
  completed(): number;
  /** Requests whose connection closed before the answer was sent. */
  abandoned(): number;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startSink(delayMs = 0): Promise<Sink> {
  const received = new Map<string, Map<string, number>>();
  let total = 0;
  let completed = 0;
  let abandoned = 0;
  let delay = delayMs;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET') {
        const challenge = new URL(req.url ?? '/', 'http://x').searchParams.get('hub.challenge') ?? '';
        res.end(challenge);
        return;
      }
      const pathName = (req.url ?? '/').split('?')[0];
      const id = String(req.headers['x-hub-delivery'] ?? '');
      let ids = received.get(pathName);
      if (!ids) received.set(pathName, (ids = new Map()));
      ids.set(id, (ids.get(id) ?? 0) + 1);
      total++;
      let done = false;
      res.on('finish', () => {
        done = true;
        completed++;
      });
      res.on('close', () => {
        if (!done) abandoned++;
      });
      const answer = () => res.writableEnded || res.destroyed || res.end('ok');
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    total: () => total,
    completed: () => completed,
    abandoned: () => abandoned,
    setDelay: (ms) => void (delay = ms),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** For `callbacks`, how many never got `deliveryFor(callback)`, and how many got it more than once. */
export function tally(sinks: Sink[], callbacks: Array<{ url: string; deliveryId: string }>): { lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  for (const { url, deliveryId } of callbacks) {
    const u = new URL(url);
    const sink = sinks.find((s) => s.origin === u.origin)!;
    const n = sink.received.get(u.pathname)?.get(deliveryId) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicated++;
  }
  return { lost, duplicated };
}

export { rss } from './feeds.js';
