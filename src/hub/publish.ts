import type { Deps } from '../deps.js';
import { mergeRequests } from '../merged-requests.js';
import { requestFetches } from '../db/index.js';
import { enqueueFetches } from '../queue/index.js';

/** Pings merged into one mark and one enqueue at most. */
const MAX_PINGS_MERGED = 64;

/**
 * A publish ping (H17, H18): mark each topic as wanting a fetch, queue the
 * fetches and answer; the fetch itself happens after the answer. Pings that
 * arrive together (a publisher of one feed sends one hub.url per ping) share
 * one statement and one addBulk; each is answered once its own topics' marks
 * are stored, so a 204 stays durable.
 */
export function createPublisher(deps: Deps): (urls: string[]) => Promise<void> {
  const merged = mergeRequests(
    async (pings: readonly string[][]) => {
      await publish(deps, [...new Set(pings.flat())]);
      return pings.map(() => undefined);
    },
    { maxInFlight: 2, maxBatch: MAX_PINGS_MERGED },
  );
  return (urls) => merged(urls);
}

async function publish(deps: Deps, urls: string[]): Promise<void> {
  const topics = await requestFetches(deps.db.pool, urls);
  try {
    await enqueueFetches(
      deps.queues,
      topics.map((t) => t.id),
    );
  } catch (err) {
    deps.log.warn({ module: 'publish', err }, 'fetch enqueue failed; the sweep will retry');
  }
}
