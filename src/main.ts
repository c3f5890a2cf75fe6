import type { AddressInfo } from 'node:net';
import { unknownHubVariables, type Config } from './config.js';
import type { Deps } from './deps.js';
import { createDatabase, migrate, type Database } from './db/index.js';
import { createSecretBox, embeddedKey, unlistedEmbeddedKey, type SecretBox } from './db/secret-box.js';
import { createAdminApp, createApp, createAuthThrottle, startServer, type RunningServer } from './hub/index.js';
import { createLogger, type Logger } from './log.js';
import { memoryBreakdown } from './memory.js';
import { setUpProcess } from './process-setup.js';
import { createMetrics, startMetricsServer, watchQueues, type MetricsServer } from './metrics/index.js';
import { createCallbackClient, createTopicFetcher } from './net/index.js';
import { createAnnouncer, listenForUpdates, UpdateHub, type WakeSource } from './updates/index.js';
import { Readers } from './hub/readers.js';
import { RenderedUpdates } from './hub/rendered-updates.js';
import { createQueues, createVerifyBatcher } from './queue/index.js';
import { startWorkers, type WorkerSet } from './workers/index.js';

export interface RunningHub {
  deps: Deps;
  /** Base URL of the HTTP front, when this process runs one. */
  url: string | undefined;
  /** Base URL of the console's own listener (HUB_ADMIN_PORT), when this process runs one. */
  adminUrl: string | undefined;
  /** URL of the separate /metrics listener (HUB_METRICS_PORT), when this process runs one. */
  metricsUrl: string | undefined;
  /** The event streams and long-polls this process holds, when it runs a front. */
  live: { updates: UpdateHub; readers: Readers; rendered: RenderedUpdates } | undefined;
  close(): Promise<void>;
}

/** Where this process's front answers, for logs and tests. */
function frontUrl(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

export interface HubOptions {
  log?: Logger;
  sweepIntervalMs?: number;
  /** Told when a part the hub cannot run without has died (the embedded database's thread); the caller stops the process. */
  onFatal?: (err: Error) => void;
  /** The rate limiter's clock (tests set it); Date.now otherwise. */
  clock?: () => number;
}

/** A part start-up has started, and how to stop it should a later part fail to start. */
type StartedPart = { name: string; close: () => Promise<void> | void };

/**
 * Composition root: builds the dependencies and starts the parts HUB_ROLE asks for. When a part fails
 * to start (a port in use, say), the parts already started are closed, last first, and the error rethrown:
 * a caller that goes on living (tests, an embedding program) is not left with workers and pools running.
 */
export async function startHub(config: Config, options: HubOptions = {}): Promise<RunningHub> {
  setUpProcess();
  const log = options.log ?? createLogger(config);
  const started: StartedPart[] = [];
  try {
    return await startParts(config, options, log, started);
  } catch (err) {
    for (const part of started.reverse()) {
      await Promise.resolve()
        .then(part.close)
        .catch((closeErr: unknown) => log.warn({ part: part.name, err: closeErr }, 'part not closed after a failed start'));
    }
    throw err;
  }
}

async function startParts(config: Config, options: HubOptions, log: Logger, started: StartedPart[]): Promise<RunningHub> {
  for (const name of unknownHubVariables()) log.warn({ variable: name }, `${name} is not a setting Crier reads (misspelt?); it is ignored`);
  const deps = await buildDeps(config, options, log, started);
  let workers: WorkerSet | undefined;
  if (config.role !== 'web') {
    const running = startWorkers(deps, { sweepIntervalMs: options.sweepIntervalMs });
    started.push({ name: 'workers', close: () => running.close() });
    workers = running;
  }
  const front = config.role !== 'worker' ? await startFront(deps, started) : undefined;
  const url = front ? frontUrl(front.server.address) : undefined;
  const adminUrl = front?.adminServer ? frontUrl(front.adminServer.address) : undefined;
  const metricsServer = await startMetricsListener(config, deps, log);
  if (metricsServer) started.push({ name: 'metrics listener', close: () => metricsServer.close() });
  const metricsUrl = metricsServer ? `${frontUrl(metricsServer.address)}metrics` : undefined;
  warnOfRiskySettings(config, log);
  const memory = await memoryBreakdown(deps.db);
  log.info(
    { role: config.role, url, adminUrl, metricsUrl, embedded: deps.db.embedded, queues: config.redisUrl ? 'redis' : 'database', memory },
    'hub started',
  );

  let closing: Promise<void> | undefined;
  return {
    deps,
    url,
    adminUrl,
    metricsUrl,
    live: front ? { updates: front.updates, readers: front.readers, rendered: front.rendered } : undefined,
    close() {
      closing ??= stopParts(deps, front, metricsServer, workers);
      return closing;
    },
  };
}

/** The dependencies every part shares: database, queues, metrics, HTTP clients, secrets, batchers. */
async function buildDeps(config: Config, options: HubOptions, log: Logger, started: StartedPart[]): Promise<Deps> {
  const db = await createDatabase(config, { log, onLost: options.onFatal });
  started.push({ name: 'database', close: () => db.close() });
  await migrate(db.pool);
  const queues = await createQueues(config, db, log);
  started.push({ name: 'queues', close: () => queues.close() });
  const metrics = createMetrics();
  watchQueues(metrics, queues);
  const http = {
    callbacks: createCallbackClient(config),
    topics: createTopicFetcher(config),
  };
  started.push({
    name: 'http clients',
    close: async () => {
      http.topics.close();
      await http.callbacks.close();
    },
  });
  const verifications = createVerifyBatcher(queues, db.pool, log);
  started.push({ name: 'verify batcher', close: () => verifications.close() });
  const secrets = openSecrets(config, db, log);
  const announcer = createAnnouncer(config, db, log);
  started.push({ name: 'announcer', close: () => announcer.close() });
  return { config, log, db, queues, http, secrets, verifications, metrics, clock: options.clock ?? Date.now, announcer };
}

/** The secret box sealing subscriber secrets, warning when secrets go unsealed or an older embedded key is left out. */
function openSecrets(config: Config, db: Database, log: Logger): SecretBox {
  const secrets = createSecretBox(
    config.secretKeys.length || !db.embedded ? config.secretKeys : [embeddedKey(config.dataDir)],
    config.secretCacheEntries,
  );
  if (!secrets.encrypting) log.warn('HUB_SECRET_KEY is unset: subscriber secrets are stored in plaintext');
  const unlisted = db.embedded && config.secretKeys.length ? unlistedEmbeddedKey(config.dataDir, config.secretKeys) : undefined;
  if (unlisted) {
    log.warn(
      { file: unlisted },
      `HUB_SECRET_KEY does not list the key in ${unlisted}, which sealed the secrets this hub stored before: they will not open ` +
        '(deliveries to those subscribers fail with HUB_ERR_SECRET_KEY_MISSING). Keep both keys in the ring: ' +
        'HUB_SECRET_KEY=<your key>,<the 64 hex digits in secret.key> (the first seals, every listed key opens)',
    );
  }
  return secrets;
}

/** What a process with an HTTP front runs besides its workers. */
interface Front {
  server: RunningServer;
  /** The console's own listener (HUB_ADMIN_PORT), when set. */
  adminServer: RunningServer | undefined;
  wake: WakeSource;
  updates: UpdateHub;
  readers: Readers;
  rendered: RenderedUpdates;
}

/** The HTTP front, with the streams and long-polls it serves, and the console's own listener when HUB_ADMIN_PORT is set. */
async function startFront(deps: Deps, started: StartedPart[]): Promise<Front> {
  const { config, db, log, metrics } = deps;
  // Streams and long-polls: woken by the workers' signals, reading each update from the log once per process.
  const updates = new UpdateHub(db.pool, log);
  const wake = listenForUpdates(config, db, log, updates);
  started.push({ name: 'update listener', close: () => wake.close() });
  // Listening before answering, so no reader misses a signal; a backend that is down does not hold start-up (it retries).
  await Promise.race([wake.ready, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  const readers = new Readers(config, (kind, delta) => metrics.openStreams.inc({ kind }, delta));
  started.push({ name: 'streams', close: () => readers.closeAll() });
  // A few answers' worth of parses and events, shared by every reader of this process.
  const rendered = new RenderedUpdates(8 * config.retrieveMaxBytes);
  const server = await startServer(createApp(deps, healthCheck(deps), { updates, readers, rendered }), {
    port: config.port,
    host: config.host,
    maxConnections: config.maxConnections,
    maxIdleConnectionsPerClient: config.maxIdleConnectionsPerClient,
  });
  started.push({ name: 'front', close: () => server.close() });
  let adminServer: RunningServer | undefined;
  if (config.adminPort !== undefined) {
    const admin = await startServer(createAdminApp(deps), {
      port: config.adminPort,
      host: config.host,
      maxConnections: config.maxConnections,
    });
    started.push({ name: 'console', close: () => admin.close() });
    adminServer = admin;
  }
  return { server, adminServer, wake, updates, readers, rendered };
}

/** `/health`: the queue backend and the database both answer. */
function healthCheck({ queues, db }: Deps): () => Promise<boolean> {
  // Both asked at once: on a busy embedded database each waits its turn there, and one after the other waited twice.
  return async () =>
    (
      await Promise.all([
        queues.ping(),
        db.pool.query('select 1').then(
          () => true,
          () => false,
        ),
      ])
    ).every(Boolean);
}

/** Start-up warnings for settings that are safe only in some setups. */
function warnOfRiskySettings(config: Config, log: Logger): void {
  if (config.allowPrivateNetworks) {
    const why = 'HUB_ALLOW_PRIVATE_NETWORKS is on: this hub will contact loopback and private addresses; keep it off the network';
    log.warn({ host: config.host ?? 'all interfaces' }, why);
  }
  if (config.trustProxy === 1 && config.role !== 'worker')
    log.warn(
      'HUB_TRUST_PROXY=1 takes whichever peer connects for a proxy: a client reaching the hub directly names its own address. ' +
        "List the proxies' addresses instead (HUB_TRUST_PROXY=10.0.0.5,loopback)",
    );
}

/** Stops a running hub: listeners first, then workers, then what they share, the database last. */
async function stopParts(deps: Deps, front: Front | undefined, metricsServer: MetricsServer | undefined, workers: WorkerSet | undefined) {
  // Streams never end by themselves: ended first, their clients reconnect elsewhere with Last-Event-ID.
  front?.readers.closeAll();
  await front?.server.close();
  await front?.adminServer?.close();
  await metricsServer?.close();
  await front?.wake.close();
  await workers?.close();
  await deps.verifications.close();
  await deps.announcer.close();
  await deps.queues.close();
  await deps.http.callbacks.close();
  deps.http.topics.close();
  await deps.db.close();
  deps.log.info('hub stopped');
}

/**
 * The /metrics listener of HUB_METRICS_PORT. A worker gets one on 9464 by default; when that port
 * is taken (several workers on one machine), it runs without and says so: a worker must not fail to
 * start for want of metrics. A port the operator chose must be free.
 */
async function startMetricsListener(config: Config, deps: Deps, log: Logger): Promise<MetricsServer | undefined> {
  if (config.metricsPort === undefined) return undefined;
  try {
    return await startMetricsServer(config, deps.metrics, log, config.metricsPort, createAuthThrottle(deps, 'metrics'));
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE' || !config.metricsPortDefaulted) throw err;
    log.warn({ port: config.metricsPort }, 'metrics port in use: this worker serves no /metrics; set HUB_METRICS_PORT per worker');
    return undefined;
  }
}
