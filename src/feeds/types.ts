/** Feed formats the engine understands. `rdf` covers RSS 0.90, 1.0 and 1.1. */
export type FeedFormat = 'rss' | 'rdf' | 'atom' | 'atom-entry' | 'json-feed';

/** One entry as Crier sees it: identity, hashes and a few display fields. */
export interface FeedEntry {
  /** Identity per entry-id.ts: id/guid, else link, else a hash of title+date+content; unique per document. */
  id: string;
  /** sha256 hex of `id`: fixed length, what the database stores. */
  key: string;
  /** sha256 hex of the entry's exact source text (its UTF-8 form); changes whenever the publisher edits it. */
  contentHash: string;
  link?: string;
  title?: string;
  published?: string;
  updated?: string;
}

/** A parsed feed, in Crier's own shape (no parser objects leave src/feeds). */
export interface FeedDocument {
  format: FeedFormat;
  title?: string;
  /** The feed's own `rel="self"` link, when it declares one (WebSub §4 discovery). */
  selfUrl?: string;
  /** The feed's `rel="hub"` links, when it declares any (WebSub §4 discovery). */
  hubUrls?: string[];
  /**
   * How often the feed says it is worth reading, in seconds: RSS `<ttl>` (minutes), or the
   * syndication module's `sy:updatePeriod` / `sy:updateFrequency`; the longer when both are given.
   */
  refreshSeconds?: number;
  entries: FeedEntry[];
  /**
   * Recoveries made while reading a document that was not well-formed (a
   * missing end tag, an unquoted attribute, a stray `<`). The entries are
   * what a careful reader makes of it; these say where to look.
   */
  problems?: string[];
}

/** What a body turned out to be. */
export type ParseOutcome =
  | { kind: 'feed'; doc: FeedDocument }
  /** Not a feed at all (HTML, plain JSON, text, images): deliver whole. */
  | { kind: 'plain' }
  /** Looked like a feed but could not be read even leniently: deliver whole, record `reason`. */
  | { kind: 'unparseable'; format?: FeedFormat; reason: string };

/** What the hub remembers of an entry it has seen, for the next diff. */
export interface SeenEntry {
  /** sha256 hex of the entry's exact source: equal bytes need nothing more. */
  contentHash: string;
  /** Its canonical form's fingerprint (meaning.ts); null for an entry stored before fingerprints were. */
  meaning: string | null;
}

/** Key -> what was seen; a bare string is a content hash stored without a fingerprint. */
export type SeenState = ReadonlyMap<string, SeenEntry | string>;

/** One entry of a document as the hub stores it after a diff. */
export interface SeenRecord extends SeenEntry {
  key: string;
}

/** Entries of a feed compared with what was seen before. */
export interface DiffResult {
  /** Keys never seen before, in document order. */
  newKeys: string[];
  /** Keys seen before whose meaning changed, in document order. */
  updatedKeys: string[];
  /** For each of `updatedKeys`, what changed: `title`, `content`, `link`, `dates`, `other`, comma-separated. */
  updatedFields: string[];
  /** Every entry of the document with its hashes, to remember for the next diff. */
  remember: SeenRecord[];
}

/** A document ready to deliver. */
export interface Rendered {
  body: Buffer;
  /** Content-Type to send; carries `charset=utf-8` when the body was re-encoded. */
  contentType: string;
}

/** Everything one pass over a body yields (see `selectNewContent`). */
export interface Selection {
  outcome: ParseOutcome;
  /** Present when `outcome.kind === 'feed'`. */
  diff?: DiffResult;
  /** The document carrying only new and updated entries; present when the diff is not empty. */
  rendered?: Rendered;
}
