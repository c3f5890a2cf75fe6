import { Queue, Worker, withBackend, createPostgresBackend, type Processor, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { errorEventLogger } from '../error-events.js';
import type { Logger } from '../log.js';
import type { JobData, QueueName } from './jobs.js';

/**
 * Finished jobs stay an hour so a re-run page cannot re-add (and re-run) its
 * finished successor. On Redis a count caps their memory cheaply (a sorted-set
 * trim); BullMQ's PostgreSQL backend applies a count by reading every finished
 * job of the queue at each completion, which made a job's completion cost grow
 * with the last hour's jobs, so there the age alone bounds them (its delete is
 * a range of an index).
 */
function keep(config: Config): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  return {
    removeOnComplete: config.redisUrl ? { age: 3600, count: 200_000 } : { age: 3600 },
    removeOnFail: { age: 7 * 86400 },
  };
}

export function defaultJobOptions(name: QueueName, config: Config): JobsOptions {
  const retention = keep(config);
  switch (name) {
    case 'verify':
      return { ...retention, attempts: config.maxAttempts, backoff: { type: 'crier' } };
    case 'fetch':
      return { ...retention, attempts: config.fetchAttempts, backoff: { type: 'crier' } };
    case 'deliver':
      // Infrastructure failures (database down) retry the page; callback failures never do.
      return { ...retention, attempts: config.pageAttempts, backoff: { type: 'exponential', delay: 1000 } };
  }
}

export interface Queues {
  verify: Queue<JobData['verify']>;
  fetch: Queue<JobData['fetch']>;
  deliver: Queue<JobData['deliver']>;
  /** Starts a worker on one queue with the backend's connection. */
  work<N extends QueueName>(
    name: N,
    processor: Processor<JobData[N]>,
    options: {
      concurrency: number;
      backoff: (attempt: number) => number;
      /** How long an idle worker blocks before it looks again unwoken (default 5 s); tests lengthen it. */
      drainDelaySeconds?: number;
    },
  ): Worker<JobData[N]>;
  /** True when the backend answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** BullMQ on Redis when REDIS_URL is set, else on the database (its PostgreSQL backend). */
export async function createQueues(config: Config, db: Database, log: Logger): Promise<Queues> {
  const closers: Array<() => Promise<unknown>> = [];
  let QueueClass: typeof Queue;
  let WorkerClass: typeof Worker;
  let connection: object;
  let ping: () => Promise<boolean>;

  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: true });
    // It reconnects by itself and /healthz reports the outage; the log says why.
    redis.on('error', errorEventLogger(log, 'redis'));
    closers.push(() => redis.quit().catch(() => redis.disconnect()));
    QueueClass = Queue;
    WorkerClass = Worker;
    connection = redis;
    ping = async () => redis.status === 'ready' && (await redis.ping().catch(() => '')) === 'PONG';
  } else {
    const classes = withBackend(createPostgresBackend);
    QueueClass = classes.Queue as unknown as typeof Queue;
    WorkerClass = classes.Worker as unknown as typeof Worker;
    connection = { ...db.clientConfig, schema: config.queuePrefix, migrate: true, max: config.queueDbConnections };
    ping = async () =>
      db.pool.query('select 1').then(
        () => true,
        () => false,
      );
  }

  const prefix = config.redisUrl ? { prefix: config.queuePrefix } : {};
  // An idle worker blocks (BZPOPMIN on Redis, LISTEN on PostgreSQL and PGlite: see db/embedded/notifications.ts) and re-checks after this.
  const drainDelay = config.queueDrainDelaySeconds;
  const make = <N extends QueueName>(name: N) => {
    const queue = new QueueClass<JobData[N]>(name, {
      connection: connection,
      ...prefix,
      defaultJobOptions: defaultJobOptions(name, config),
    });
    queue.on('error', errorEventLogger(log, `queue ${name}`));
    return queue;
  };
  const queues = { verify: make('verify'), fetch: make('fetch'), deliver: make('deliver') };
  await Promise.all(Object.values(queues).map((q) => q.waitUntilReady()));

  return {
    ...queues,
    work(name, processor, options) {
      const worker = new WorkerClass(name, processor as Processor, {
        connection: connection,
        ...prefix,
        concurrency: options.concurrency,
        drainDelay: options.drainDelaySeconds ?? drainDelay,
        // A killed worker's jobs are re-run once their lock lapses; a job may stall many times
        // (a worker killed, Redis restarted) before BullMQ gives up on it: losing a page loses deliveries.
        lockDuration: config.jobLockMs,
        stalledInterval: config.jobLockMs,
        maxStalledCount: 20,
        settings: { backoffStrategy: (attemptsMade: number) => options.backoff(attemptsMade) },
      });
      worker.on('error', errorEventLogger(log, `worker ${name}`));
      return worker as never;
    },
    ping,
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close().catch(() => {})));
      for (const close of closers) await close();
    },
  };
}
