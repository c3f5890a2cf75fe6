import type { DiffResult, FeedDocument } from './types.js';

/**
 * Compares a document with the seen state (key -> contentHash, as stored).
 * New: key never seen. Updated: key seen with a different contentHash. Pure:
 * an entry that dropped out of the feed and came back is still in `seen`, so
 * it is not new again; keeping `seen` is the caller's job.
 */
export function diffEntries(seen: ReadonlyMap<string, string>, doc: FeedDocument): DiffResult {
  const newKeys: string[] = [];
  const updatedKeys: string[] = [];
  for (const entry of doc.entries) {
    const previous = seen.get(entry.key);
    if (previous === undefined) newKeys.push(entry.key);
    else if (previous !== entry.contentHash) updatedKeys.push(entry.key);
  }
  return { newKeys, updatedKeys };
}
