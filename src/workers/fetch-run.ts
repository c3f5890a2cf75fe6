import type { Deps } from '../deps.js';
import type { StatementBatches, Topic } from '../db/index.js';
import type { Logger } from '../log.js';
import type { FetchOutcome } from '../metrics/index.js';
import type { FetchGate } from './fetch-gate.js';
import type { FirstPageHandOver } from './hand-over.js';
import type { FetchSource } from './poll-interval.js';
import type { SchedulePoll } from './poll-record.js';

/** What every fetch job of a worker shares (built once by fetchJob, fetch-job.ts). */
export interface FetchWorker {
  deps: Deps;
  log: Logger;
  gate: FetchGate;
  schedule: SchedulePoll;
  handOver: FirstPageHandOver;
  batches: StatementBatches;
}

/** A topic a fetch job read and will fetch, and why. */
export interface ClaimedTopic {
  topic: Topic;
  seenCount: number;
  source: FetchSource;
  /** The fields every log line of this fetch carries. */
  ctx: { jobId: string | undefined; topicId: number; source: FetchSource };
}

/** One topic's fetch once the gate let it through. */
export interface FetchRun extends ClaimedTopic {
  /** Just before the GET: the fetch serves the topic's pings up to here. */
  startedAt: Date;
  /** Counts the fetch's outcome (crier_fetches_total). */
  counted(outcome: FetchOutcome): void;
}
