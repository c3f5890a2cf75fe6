import DataLoader from 'dataloader';

export interface MergeOptions {
  /** Batches out at once; the requests that arrive meanwhile wait and gather into the next. */
  maxInFlight: number;
  /** Most requests one batch serves. */
  maxBatch: number;
}

/**
 * Merges the requests made side by side into one call of `load`, which
 * answers each key in order (a value or an Error for that caller alone).
 * A batch goes out once the event loop has handled the I/O that was ready,
 * and only while fewer than `maxInFlight` batches are out: idle, a request
 * waits no longer than one turn of the loop; busy, the requests that arrive
 * while a batch runs gather into the next one, so the busier the database,
 * the fewer and larger the statements.
 */
export function mergeRequests<K, V>(
  load: (keys: readonly K[]) => Promise<Array<V | Error>>,
  options: MergeOptions,
): (key: K) => Promise<V> {
  let inFlight = 0;
  const ready: Array<() => void> = [];
  const dispatchNext = () => {
    if (inFlight >= options.maxInFlight) return;
    const next = ready.shift();
    if (next) {
      inFlight++;
      next();
    }
  };
  const loader = new DataLoader<K, V>(
    (keys) =>
      load(keys).finally(() => {
        inFlight--;
        dispatchNext();
      }),
    {
      cache: false,
      maxBatchSize: options.maxBatch,
      batchScheduleFn: (dispatch) =>
        setImmediate(() => {
          ready.push(dispatch);
          dispatchNext();
        }),
    },
  );
  return (key) => loader.load(key);
}
