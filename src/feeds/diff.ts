import { compareMeanings, type UpdateIgnore } from './meaning.js';
import type { DiffResult, FeedDocument, SeenEntry, SeenRecord, SeenState } from './types.js';

/** Fingerprints of a document's entries, made only when asked for (entry-meaning.ts). */
export interface MeaningSource {
  /** The fingerprint of the document's entry at `index`. */
  of(index: number): string;
  ignore: readonly UpdateIgnore[];
}

function storedOf(previous: SeenEntry | string | undefined): SeenEntry | undefined {
  return typeof previous === 'string' ? { contentHash: previous, meaning: null } : previous;
}

/**
 * Compares a document with the seen state (key -> what was stored). New: key
 * never seen. Same bytes: unchanged, and nothing is computed (a fingerprint
 * missing since before fingerprints were stored is made now, once). Other
 * bytes: the entry's canonical form decides (meaning.ts); a stored entry
 * without a fingerprint is migrated, its new fingerprint stored and nothing
 * delivered, so an upgrade sends no burst. Without `meaning` (a caller with
 * the document only) other bytes are an update. Pure: an entry that dropped
 * out of the feed and came back is still in `seen`, so it is not new again;
 * keeping `seen` is the caller's job.
 */
export function diffEntries(seen: SeenState, doc: FeedDocument, meaning?: MeaningSource): DiffResult {
  const result: DiffResult = { newKeys: [], updatedKeys: [], updatedFields: [], remember: [] };
  doc.entries.forEach((entry, i) => {
    const { key, contentHash } = entry;
    const stored = storedOf(seen.get(key));
    const remember = (m: string | null): void => void result.remember.push({ key, contentHash, meaning: m } satisfies SeenRecord);
    if (stored === undefined) {
      result.newKeys.push(key);
      remember(meaning?.of(i) ?? null);
    } else if (stored.contentHash === contentHash) {
      remember(stored.meaning ?? meaning?.of(i) ?? null);
    } else if (!meaning) {
      result.updatedKeys.push(key);
      result.updatedFields.push('');
      remember(null);
    } else {
      const current = meaning.of(i);
      const comparison = compareMeanings(stored.meaning, current, meaning.ignore);
      if (comparison.kind === 'changed') {
        result.updatedKeys.push(key);
        result.updatedFields.push(comparison.fields.join(','));
      }
      remember(current);
    }
  });
  return result;
}
