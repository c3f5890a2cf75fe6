import { sha256Hex } from './hash.js';

/** What identity is computed from; every field already trimmed text. */
export interface IdentitySource {
  /** Atom `id`, RSS `guid`, RSS 1.0 `rdf:about`, JSON Feed `id`. */
  id?: string;
  /** The entry's main link (Atom alternate link href, RSS `link`, JSON Feed `url`). */
  link?: string;
  title?: string;
  /** The first date the entry carries (published, else updated). */
  date?: string;
  /** Content or summary text. */
  content?: string;
  /** The entry's exact source text, the last resort when everything else is empty. */
  source: string;
}

/**
 * The identity of one entry, before de-duplication. Fallback order:
 * 1. its id (Atom `id`, RSS `guid`, RSS 1.0 `rdf:about`, JSON Feed `id`), as written;
 * 2. else its link (feeds without guids are common, and links are stable);
 * 3. else `sha256:` + a hash of title, date and content, so an entry with no
 *    id and no link keeps its identity for as long as those stay the same
 *    (if all three are empty, the hash of the whole entry source).
 */
export function entryIdentity(src: IdentitySource): string {
  if (src.id) return src.id;
  if (src.link) return src.link;
  const basis = src.title || src.date || src.content ? `${src.title ?? ''}\n${src.date ?? ''}\n${src.content ?? ''}` : src.source;
  return `sha256:${sha256Hex(basis)}`;
}

/**
 * Makes identities unique inside one document. Publishers do repeat ids (a
 * guid set to the site URL on every item, a copied item). When an identity
 * occurs more than once, EVERY occurrence becomes `<id>#<first 16 hex of its
 * contentHash>`, so each distinct entry keeps the same identity wherever it
 * sits in the feed (suffixing by position would shift every identity when a
 * new entry is prepended). Byte-identical repeats then get `#2`, `#3`, ... in
 * document order. Returns the identities in input order.
 */
export function uniqueIdentities(entries: ReadonlyArray<{ identity: string; contentHash: string }>): string[] {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.identity, (counts.get(e.identity) ?? 0) + 1);
  const used = new Map<string, number>();
  return entries.map((e) => {
    if (counts.get(e.identity) === 1) return e.identity;
    const base = `${e.identity}#${e.contentHash.slice(0, 16)}`;
    const seen = used.get(base) ?? 0;
    used.set(base, seen + 1);
    return seen === 0 ? base : `${base}#${seen + 1}`;
  });
}
