import DataLoader from 'dataloader';
import type { Queryable } from './pool.js';
import { findTopicsForFetch, type Topic } from './topics.js';
import { loadSeenEntries, type SeenLookup } from './fetch-results.js';
import { recordDeliveryOutcomes, type PageOutcomes } from './subscriptions.js';

/** Most requests one statement serves: keeps each statement's parameters and plan small. */
const MAX_BATCH = 100;

/**
 * Runs the batch once the event loop has handled the I/O that was ready:
 * idle, a request waits no longer than one turn of the loop; busy, every fetch
 * or page that reached the same step in that turn shares the statement.
 */
const afterReadyIo = (run: () => void) => setImmediate(run);

function batcher<K, V>(load: (keys: readonly K[]) => Promise<V[]>): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>((keys) => load(keys), { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: afterReadyIo });
  return (key) => loader.load(key);
}

/**
 * The statements every topic fetch and every delivered page make, merged
 * across the concurrent jobs of this process: on a hub of many topics with a
 * few subscribers each, round trips to the database are most of the cost of a
 * topic (see docs/jobs.md). Each caller still gets its own answer or error.
 */
export interface StatementBatches {
  /** The topic and how many entries it remembers; undefined if it is gone. */
  topicForFetch(id: number): Promise<{ topic: Topic; seenCount: number } | undefined>;
  /** key -> content hash of those of the keys the topic carried before. */
  seenEntries(lookup: SeenLookup): Promise<Map<string, string>>;
  /** Stores a page's outcomes (and hand-over) with those of the pages that finished alongside it. */
  pageOutcomes(page: PageOutcomes): Promise<void>;
}

export function createStatementBatches(db: Queryable): StatementBatches {
  return {
    topicForFetch: batcher(async (ids: readonly number[]) => {
      const found = await findTopicsForFetch(db, [...new Set(ids)]);
      return ids.map((id) => found.get(id));
    }),
    seenEntries: batcher((lookups: readonly SeenLookup[]) => loadSeenEntries(db, [...lookups])),
    pageOutcomes: batcher(async (pages: readonly PageOutcomes[]) => {
      await recordDeliveryOutcomes(db, [...pages]);
      return pages.map(() => undefined);
    }),
  };
}
