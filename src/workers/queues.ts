import { Queue, Worker, withBackend, createPostgresBackend, type Processor, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { errorEventLogger } from '../error-events.js';
import type { Logger } from '../log.js';
import type { FetchSource } from '../metrics/index.js';

/** The queues and what their jobs carry: ids only, never rows or secrets. */
export type JobData = {
  /** One intent (a retry, or re-enqueued by the sweep) or a batch of fresh ones. */
  verify: { intentId: number } | { intentIds: number[] };
  /**
   * `source`: what asked for the fetch (a deduplicated job keeps its first asker's). Not read: the fetch job
   * takes its source from the topic's row (docs/jobs.md, fetch).
   */
  fetch: { topicId: number; source?: FetchSource };
  deliver: DeliverPage | DeliverRetry | DeliverInitial;
};
export type QueueName = keyof JobData;
export const QUEUE_NAMES: QueueName[] = ['verify', 'fetch', 'deliver'];

/** One keyset page of a notification's subscribers. */
export type DeliverPage = { kind: 'page'; notificationId: number; afterId: number };
/**
 * One subscriber's next attempt after a failed delivery; `deferred` counts postponements by an open circuit or a
 * paused host (not attempts).
 */
export type DeliverRetry = {
  kind: 'retry';
  notificationId: number;
  subscriptionId: number;
  attempt: number;
  deferred?: number;
  /** A replay's (hub.mode=replay) attempts: when it was asked for (ms), which also keeps its job ids its own. */
  replay?: number;
};
/**
 * The one crier.initial delivery a subscription is owed after its verification; `requestedAt` (ms) is the
 * subscription's `initial_requested_at`, so a renewal's newer request supersedes it. `fetchAsked`: the topic
 * had never been fetched and this job queued its first fetch.
 */
export type DeliverInitial = { kind: 'initial'; subscriptionId: number; requestedAt: number; fetchAsked?: boolean };

/** Job ids make re-enqueueing idempotent (BullMQ ids may not contain ':'). */
export const jobIds = {
  verify: (intentId: number) => `verify-${intentId}`,
  verifyBatch: (firstIntentId: number) => `verifyb-${firstIntentId}`,
  fetch: (topicId: number) => `fetch-${topicId}`,
  page: (notificationId: number, afterId: number) => `page-${notificationId}-${afterId}`,
  retry: (notificationId: number, subscriptionId: number, attempt: number, deferred = 0, replay?: number) =>
    `retry-${notificationId}-${subscriptionId}-${attempt}${deferred > 0 ? `-d${deferred}` : ''}${replay ? `-r${replay}` : ''}`,
  initial: (subscriptionId: number, requestedAt: number) => `initial-${subscriptionId}-${requestedAt}`,
  /** An operator's retry: its own id, so it runs even while a scheduled retry of the same delivery waits. */
  manualRetry: (notificationId: number, subscriptionId: number, at: number) => `retry-${notificationId}-${subscriptionId}-now${at}`,
};

/** Queues the page of a notification's subscribers after `afterId`; its job id makes a repeat a no-op. */
export async function enqueuePage(queues: Pick<Queues, 'deliver'>, notificationId: number, afterId: number): Promise<void> {
  await queues.deliver.add('page', { kind: 'page', notificationId, afterId }, { jobId: jobIds.page(notificationId, afterId) });
}

/**
 * Queues pending crier.initial deliveries (one job each, retried by BullMQ like a verification); the job id
 * makes a repeat (the sweep's) a no-op.
 */
export async function enqueueInitials(
  queues: Pick<Queues, 'deliver'>,
  pending: Array<{ subscriptionId: number; requestedAt: Date }>,
  maxAttempts: number,
): Promise<void> {
  if (pending.length === 0) return;
  await queues.deliver.addBulk(
    pending.map(({ subscriptionId, requestedAt }) => ({
      name: 'initial',
      data: { kind: 'initial' as const, subscriptionId, requestedAt: requestedAt.getTime() },
      opts: { jobId: jobIds.initial(subscriptionId, requestedAt.getTime()), attempts: maxAttempts, backoff: { type: 'crier' } },
    })),
  );
}

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
  // An idle worker blocks (BZPOPMIN on Redis, LISTEN on PostgreSQL and PGlite: see db/pglite-notifications.ts) and re-checks after this.
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
