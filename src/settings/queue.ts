/** The job queue: its namespace, how workers wait on it and claim jobs, and the sweep that re-enqueues lost work. */
import { int, text, type Setting } from '../setting-kinds.js';

export const QUEUE_SETTINGS = {
  queuePrefix: text({
    env: 'HUB_QUEUE_PREFIX',
    doc: 'queue namespace (Redis key prefix / PostgreSQL schema)',
    default: 'crier',
    valid: (v) => (/^[a-z_][a-z0-9_]{0,40}$/.test(v) ? undefined : `must be lowercase letters, digits or _, got "${v}"`),
  }),
  queueDrainDelaySeconds: int({
    env: 'HUB_QUEUE_DRAIN_DELAY_SECONDS',
    doc: 'an idle worker blocks on the queue (BZPOPMIN on Redis, LISTEN on PostgreSQL) and re-checks after this long',
    default: 5,
    min: 1,
    max: 300,
  }),
  queueDbConnections: int({
    env: 'HUB_QUEUE_DB_CONNECTIONS',
    doc: "without Redis: connections per queue to the database for BullMQ's PostgreSQL backend",
    default: 4,
    min: 1,
    max: 100,
  }),
  jobLockMs: int({
    env: 'HUB_JOB_LOCK_MS',
    doc:
      "how long a job stays claimed without renewal; a killed worker's jobs run again after it. A fetch job's claim on the first " +
      "page of what it found new lasts as long: a killed worker's page is queued again by the sweep",
    default: 30000,
    min: 1000,
  }),
  sweepIntervalMs: int({
    env: 'HUB_SWEEP_INTERVAL_MS',
    doc: 'how often each worker process re-enqueues work whose enqueue was lost (the outbox sweep), renews nothing else',
    default: 15000,
    min: 100,
  }),
} satisfies Record<string, Setting<unknown>>;
