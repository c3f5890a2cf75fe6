import DataLoader from 'dataloader';

/**
 * How requests made side by side are merged into batches. Crier has one way
 * to batch, this one on DataLoader: statements of concurrent jobs, publish
 * pings, fresh subscribe intents and update signals all go through it.
 */
export interface MergeOptions {
  /** Batches out at once; the requests that arrive meanwhile wait and gather into the next (default: no limit). */
  maxInFlight?: number;
  /** Most requests one batch serves (default: no limit). */
  maxBatch?: number;
  /**
   * How long a batch gathers after its first request: 0 (the default) until
   * the event loop has handled the I/O that was ready, else this many ms.
   */
  waitMs?: number;
}

export interface Merged<K, V> {
  (key: K): Promise<V>;
  /** Settles once every request made so far is answered (its batch dispatched and loaded). */
  drain(): Promise<void>;
}

/**
 * Merges the requests made side by side into one call of `load`, which
 * answers each key in order (a value or an Error for that caller alone).
 * A batch goes out once it has gathered (`waitMs`), and only while fewer
 * than `maxInFlight` batches are out: idle, a request waits no longer than
 * one turn of the loop; busy, the requests that arrive while a batch runs
 * gather into the next one, so the busier the database, the fewer and
 * larger the statements.
 */
export function mergeRequests<K, V>(load: (keys: readonly K[]) => Promise<Array<V | Error>>, options: MergeOptions = {}): Merged<K, V> {
  const maxInFlight = options.maxInFlight ?? Infinity;
  const waitMs = options.waitMs ?? 0;
  let inFlight = 0;
  const ready: Array<() => void> = [];
  const dispatchNext = () => {
    if (inFlight >= maxInFlight) return;
    const next = ready.shift();
    if (next) {
      inFlight++;
      next();
    }
  };
  const gathered = (dispatch: () => void) => {
    ready.push(dispatch);
    dispatchNext();
  };
  const loader = new DataLoader<K, V>(
    (keys) =>
      load(keys).finally(() => {
        inFlight--;
        dispatchNext();
      }),
    {
      cache: false,
      maxBatchSize: options.maxBatch ?? Infinity,
      batchScheduleFn: (dispatch) => (waitMs > 0 ? setTimeout(() => gathered(dispatch), waitMs) : setImmediate(() => gathered(dispatch))),
    },
  );
  const unanswered = new Set<Promise<unknown>>();
  const merged = (key: K) => {
    const answer = loader.load(key);
    const settled: Promise<unknown> = answer.then(
      () => unanswered.delete(settled),
      () => unanswered.delete(settled),
    );
    unanswered.add(settled);
    return answer;
  };
  merged.drain = async () => {
    await Promise.all(unanswered);
  };
  return merged;
}
