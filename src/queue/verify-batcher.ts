import type { Logger } from '../log.js';
import { insertIntents, markIntentsEnqueued, type Intent, type Queryable } from '../db/index.js';
import { mergeRequests } from '../merged-requests.js';
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

/**
 * A burst of subscribe requests costs one INSERT and one queue write per
 * batch instead of one each; on this kind of machine every socket write is
 * dear. A lost enqueue is repaired by the sweep (the intents stay unmarked).
 * A batch gathers for `maxDelayMs` after its first intent, up to `maxBatch`.
 */
export function createVerifyBatcher(
  queues: Queues,
  db: Queryable,
  log: Logger,
  options: { maxBatch?: number; maxDelayMs?: number } = {},
): VerifyBatcher {
  const enqueues = new Set<Promise<void>>();

  async function enqueue(ids: number[]): Promise<void> {
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

  /** Each intent's id once committed (its request may answer), then their verification queued behind the answers. */
  async function store(intents: ReadonlyArray<Omit<Intent, 'id'>>): Promise<Array<number | Error>> {
    let ids: number[];
    try {
      ids = await insertIntents(db, [...intents]);
    } catch (err) {
      // One bad row must not fail its neighbours' requests: store them one by one.
      if (intents.length > 1) return (await Promise.all(intents.map((intent) => store([intent])))).flat();
      return [err instanceof Error ? err : new Error(String(err))];
    }
    const work = enqueue(ids).finally(() => enqueues.delete(work));
    enqueues.add(work);
    return ids;
  }

  const submit = mergeRequests(store, { maxBatch: options.maxBatch ?? 64, waitMs: options.maxDelayMs ?? 1 });
  return {
    submit,
    async close() {
      await submit.drain();
      await Promise.all(enqueues);
    },
  };
}
