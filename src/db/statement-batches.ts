import { mergeRequests } from '../merged-requests.js';
import type { Queryable } from './pool.js';
import { findTopicsForFetch, type Topic } from './topics.js';
import {
  loadSeenEntries,
  recordFetchesWithContent,
  type ContentStore,
  type SeenEntryRow,
  type SeenLookup,
  type StoredContent,
} from './fetch-results.js';
import { recordDeliveryOutcomes, type PageOutcomes } from './subscriptions.js';

/** Most requests one statement serves: keeps each statement's parameters and plan small. */
const MAX_BATCH = 100;

/** Batches of one statement out at once (the store of new content: one). */
const IN_FLIGHT = 2;

const batcher = <K, V>(load: (keys: readonly K[]) => Promise<Array<V | Error>>, maxInFlight: number) =>
  mergeRequests(load, { maxInFlight, maxBatch: MAX_BATCH });

/**
 * The statements every topic fetch and every delivered page make, merged
 * across the concurrent jobs of this process: on a hub of many topics with a
 * few subscribers each, round trips to the database are most of the cost of a
 * topic (docs/jobs.md, "Statements merged across concurrent jobs"). Each
 * caller still gets its own answer or error.
 */
export interface StatementBatches {
  /** The topic and how many entries it remembers; undefined if it is gone. */
  topicForFetch(id: number): Promise<{ topic: Topic; seenCount: number } | undefined>;
  /** key -> content hash and fingerprint of those of the keys the topic carried before. */
  seenEntries(lookup: SeenLookup): Promise<Map<string, SeenEntryRow>>;
  /** Stores a page's outcomes (and hand-over) with those of the pages that finished alongside it. */
  pageOutcomes(page: PageOutcomes): Promise<void>;
  /** Stores a fetch's new content, notification, seen entries and fetch record, with the others' ready alongside it. */
  storeContent(store: ContentStore): Promise<StoredContent>;
}

/**
 * Stores a batch of new content: one statement when its topics are distinct
 * (a topic's fetches never overlap in practice; a repeat goes after, alone),
 * and each store alone if the statement fails, so one bad row fails only its
 * own fetch.
 */
async function storeAll(db: Queryable, stores: readonly ContentStore[], pageSize: number): Promise<Array<StoredContent | Error>> {
  const seen = new Set<number>();
  const first = stores.filter((s) => !seen.has(s.result.topicId) && seen.add(s.result.topicId));
  const answers = new Map<ContentStore, StoredContent | Error>();
  try {
    (await recordFetchesWithContent(db, first, pageSize)).forEach((stored, i) => answers.set(first[i], stored));
  } catch (err) {
    if (first.length === 1) answers.set(first[0], err as Error);
  }
  for (const store of stores) {
    if (answers.has(store)) continue;
    answers.set(
      store,
      await recordFetchesWithContent(db, [store], pageSize).then(
        ([stored]) => stored,
        (err: Error) => err,
      ),
    );
  }
  return stores.map((s) => answers.get(s)!);
}

export function createStatementBatches(db: Queryable, options: { deliverPageSize: number }): StatementBatches {
  return {
    topicForFetch: batcher(async (ids: readonly number[]) => {
      const found = await findTopicsForFetch(db, [...new Set(ids)]);
      return ids.map((id) => found.get(id));
    }, IN_FLIGHT),
    seenEntries: batcher((lookups: readonly SeenLookup[]) => loadSeenEntries(db, [...lookups]), IN_FLIGHT),
    pageOutcomes: batcher(async (pages: readonly PageOutcomes[]) => {
      await recordDeliveryOutcomes(db, [...pages]);
      return pages.map(() => undefined);
    }, IN_FLIGHT),
    // Stores wait for one another at the update log's lock anyway: one out at a time, the rest gathering.
    storeContent: batcher((stores: readonly ContentStore[]) => storeAll(db, stores, options.deliverPageSize), 1),
  };
}
