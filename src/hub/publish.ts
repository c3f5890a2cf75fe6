import type { Deps } from '../deps.js';
import { requestFetches } from '../db/index.js';
import { enqueueFetches } from '../workers/index.js';

/**
 * A publish ping (H17, H18): mark each topic as wanting a fetch, queue the
 * fetches and answer; the fetch itself happens after the answer.
 */
export async function publish(deps: Deps, urls: string[]): Promise<void> {
  const topics = await requestFetches(deps.db.pool, urls);
  try {
    await enqueueFetches(
      deps,
      topics.map((t) => t.id),
    );
  } catch (err) {
    deps.log.warn({ module: 'publish', err: (err as Error).message }, 'fetch enqueue failed; the sweep will retry');
  }
}
