import type { Logger } from '../log.js';
import { insertIntents, markIntentsEnqueued, type Intent, type Queryable } from '../db/index.js';
import { bounded } from './bounded.js';
import { jobIds } from './jobs.js';
import type { Queues } from './queues.js';

export interface VerifyBatcher {
  /**
   * Stores an intent (resolving once it is committed: H8, a 202 means stored)
   * and queues its verification. Intents arriving within a moment share one
   * insert and one verify job.
   */
  submit(intent: Omit<Intent, 'id'>): Promise<number>;
  /** Stores and enqueues what is pending. */
  close(): Promise<void>;
}

interface Waiting {
  intent: Omit<Intent, 'id'>;
  resolve(id: number): void;
  reject(err: unknown): void;
}

/**
 * A burst of subscribe requests costs one INSERT and one queue write per
 * batch instead of one each; on this kind of machine every socket write is
 * dear. A lost enqueue is repaired by the sweep (the intents stay unmarked).
 */
export function createVerifyBatcher(
  queues: Queues,
  db: Queryable,
  log: Logger,
  options: { maxBatch?: number; maxDelayMs?: number } = {},
): VerifyBatcher {
  const maxBatch = options.maxBatch ?? 64;
  const maxDelayMs = options.maxDelayMs ?? 1;
  let pending: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  async function store(batch: Waiting[]): Promise<void> {
    let ids: number[];
    try {
      ids = await insertIntents(
        db,
        batch.map((w) => w.intent),
      );
    } catch (err) {
      // One bad row must not fail its neighbours' requests: store them one by one.
      if (batch.length > 1) {
        await Promise.all(batch.map((w) => store([w])));
        return;
      }
      batch[0].reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(ids[i]));
    try {
      await bounded(
        queues.verify.add('verify', { intentIds: ids }, { jobId: jobIds.verifyBatch(ids[0]) }),
        `verification of ${ids.length} intents`,
      );
      await markIntentsEnqueued(db, ids);
    } catch (err) {
      log.warn({ module: 'verify', intents: ids.length, err }, 'verify enqueue failed; the sweep will retry');
    }
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const work = store(pending).finally(() => inFlight.delete(work));
    pending = [];
    inFlight.add(work);
  }

  return {
    submit(intent) {
      return new Promise<number>((resolve, reject) => {
        pending.push({ intent, resolve, reject });
        if (pending.length >= maxBatch) flush();
        else timer ??= setTimeout(flush, maxDelayMs);
      });
    },
    async close() {
      flush();
      await Promise.all(inFlight);
    },
  };
}
