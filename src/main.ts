import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { createDatabase, migrate } from './db/index.js';
import { createApp, startServer, type RunningServer } from './hub/index.js';
import { createLogger, type Logger } from './log.js';
import { createCallbackClient, createTopicFetcher } from './net/index.js';
import { createQueues, createVerifyBatcher, startWorkers, type WorkerSet } from './workers/index.js';

export interface RunningHub {
  deps: Deps;
  /** Base URL of the HTTP front, when this process runs one. */
  url: string | undefined;
  close(): Promise<void>;
}

/** Composition root: builds the dependencies and starts the parts HUB_ROLE asks for. */
export async function startHub(config: Config, options: { log?: Logger; sweepIntervalMs?: number } = {}): Promise<RunningHub> {
  const log = options.log ?? createLogger(config);
  const db = await createDatabase(config);
  await migrate(db.pool);
  const queues = await createQueues(config, db);
  const http = {
    callbacks: createCallbackClient(config),
    topics: createTopicFetcher(config),
  };
  const verifications = createVerifyBatcher(queues, db.pool, log);
  const deps: Deps = { config, log, db, queues, http, verifications };

  let server: RunningServer | undefined;
  let workers: WorkerSet | undefined;
  if (config.role !== 'web') workers = startWorkers(deps, { sweepIntervalMs: options.sweepIntervalMs });
  if (config.role !== 'worker') {
    const health = async () => (await queues.ping()) && (await db.pool.query('select 1').then(() => true, () => false));
    server = await startServer(createApp(deps, health), config.port);
  }
  const url = server ? `http://127.0.0.1:${server.address.port}/` : undefined;
  log.info({ role: config.role, url, embedded: db.embedded, queues: config.redisUrl ? 'redis' : 'database' }, 'hub started');

  let closing: Promise<void> | undefined;
  return {
    deps,
    url,
    close() {
      closing ??= (async () => {
        await server?.close();
        await workers?.close();
        await verifications.close();
        await queues.close();
        await http.callbacks.close();
        http.topics.close();
        await db.close();
        log.info('hub stopped');
      })();
      return closing;
    },
  };
}
