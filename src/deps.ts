import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics/index.js';
import type { Database } from './db/index.js';
import type { SecretBox } from './db/secret-box.js';
import type { CallbackClient, TopicFetcher } from './net/index.js';
import type { Queues, VerifyBatcher } from './queue/index.js';
import type { Announcer } from './updates/index.js';

/** What every use-case and processor is given; built once in main.ts. */
export interface Deps {
  config: Config;
  log: Logger;
  db: Database;
  queues: Queues;
  http: { callbacks: CallbackClient; topics: TopicFetcher };
  /** Seals subscriber secrets before they are stored, opens them to sign. */
  secrets: SecretBox;
  /** Batches verification jobs of freshly stored intents. */
  verifications: VerifyBatcher;
  /** Milliseconds since the epoch: Date.now, or a clock a test sets (rate-limit windows). */
  clock: () => number;
  /** Prometheus counters and gauges of this hub (src/metrics/). */
  metrics: Metrics;
  /** Tells web processes a notification was stored (Redis pub/sub or PostgreSQL NOTIFY). */
  announcer: Announcer;
}
