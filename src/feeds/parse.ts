import { decodeBody, type DecodedText } from './decode.js';
import { uniqueIdentities } from './entry-id.js';
import { sha256Hex } from './hash.js';
import { parseJsonFeed, type JsonFeed } from './json-feed.js';
import { scanXml, type XmlStructure } from './spans.js';
import { runSteps, runStepsAsync, type Steps } from './steps.js';
import type { FeedDocument, FeedEntry, ParseOutcome } from './types.js';
import type { WorkCount } from './work.js';
import { readXmlEntry, readXmlHead, type XmlEntryFields } from './xml-feed.js';

/**
 * Bodies larger than this are not parsed (the fetcher caps topics far lower,
 * HUB_MAX_CONTENT_BYTES); it bounds time and memory for callers that do not.
 */
export const MAX_FEED_BYTES = 64 * 1024 * 1024;

/**
 * How long one parse may take before the document is given up on and
 * delivered whole (HUB_PARSE_BUDGET_MS); the engine is linear, so only a huge
 * or hostile topic on a busy machine comes near it.
 */
export const DEFAULT_PARSE_BUDGET_MS = 2000;

/** One pass over a body: the outcome plus what rendering needs. */
export type Analysis =
  | { kind: 'xml'; outcome: { kind: 'feed'; doc: FeedDocument }; decoded: DecodedText; structure: XmlStructure }
  | { kind: 'json'; outcome: { kind: 'feed'; doc: FeedDocument }; decoded: DecodedText; json: JsonFeed }
  | { kind: 'other'; outcome: ParseOutcome };

function toEntries(fields: XmlEntryFields[]): FeedEntry[] {
  const ids = uniqueIdentities(fields);
  return fields.map((f, i) => {
    const entry: FeedEntry = { id: ids[i], key: sha256Hex(ids[i]), contentHash: f.contentHash };
    if (f.link !== undefined) entry.link = f.link;
    if (f.title !== undefined) entry.title = f.title;
    if (f.published !== undefined) entry.published = f.published;
    if (f.updated !== undefined) entry.updated = f.updated;
    return entry;
  });
}

function firstSignificant(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return c;
  }
  return -1;
}

const FEED_ROOT_HINT = /<(?:[\w.-]+:)?(?:rss|feed|RDF|Channel)[\s>]/;

/** Entries read between yields. */
const ENTRY_BATCH = 64;

function* analyseSteps(body: Buffer, contentType: string | undefined, work?: WorkCount): Steps<Analysis> {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    return { kind: 'other', outcome: { kind: 'unparseable', reason: 'body is gzip-compressed; undo Content-Encoding before parsing' } };
  }
  if (body.length > MAX_FEED_BYTES) {
    const head = body.subarray(0, 4096).toString('latin1');
    if (!FEED_ROOT_HINT.test(head) && !head.includes('jsonfeed.org')) return { kind: 'other', outcome: { kind: 'plain' } };
    return { kind: 'other', outcome: { kind: 'unparseable', reason: `body of ${body.length} bytes exceeds ${MAX_FEED_BYTES}` } };
  }
  const decoded = decodeBody(body, contentType);
  const first = firstSignificant(decoded.text);
  if (first === 0x7b) {
    const json = parseJsonFeed(decoded.text, contentType);
    if (json.kind === 'plain') return { kind: 'other', outcome: { kind: 'plain' } };
    if (json.kind === 'unparseable') return { kind: 'other', outcome: { kind: 'unparseable', format: 'json-feed', reason: json.reason } };
    const doc: FeedDocument = { format: 'json-feed', entries: toEntries(json.value.entries) };
    if (json.value.title !== undefined) doc.title = json.value.title;
    if (json.value.selfUrl !== undefined) doc.selfUrl = json.value.selfUrl;
    if (json.value.hubUrls !== undefined) doc.hubUrls = json.value.hubUrls;
    return { kind: 'json', outcome: { kind: 'feed', doc }, decoded, json: json.value };
  }
  const structure = yield* scanXml(decoded.text, work);
  if (!structure.root) {
    if (structure.problems.length && FEED_ROOT_HINT.test(decoded.text.slice(0, 4096))) {
      return { kind: 'other', outcome: { kind: 'unparseable', reason: structure.problems.join('; ') } };
    }
    return { kind: 'other', outcome: { kind: 'plain' } };
  }
  if (!structure.format) return { kind: 'other', outcome: { kind: 'plain' } };
  if (structure.fatal) return { kind: 'other', outcome: { kind: 'unparseable', format: structure.format, reason: structure.fatal } };
  const fields: XmlEntryFields[] = [];
  for (const span of structure.entries) {
    fields.push(readXmlEntry(decoded.text, span));
    if (fields.length % ENTRY_BATCH === 0) yield;
  }
  const head = readXmlHead(decoded.text, structure);
  const doc: FeedDocument = { format: structure.format, entries: toEntries(fields) };
  if (head.title !== undefined) doc.title = head.title;
  if (head.selfUrl !== undefined) doc.selfUrl = head.selfUrl;
  if (head.hubUrls !== undefined) doc.hubUrls = head.hubUrls;
  if (head.refreshSeconds !== undefined) doc.refreshSeconds = head.refreshSeconds;
  const problems = decoded.problem ? [decoded.problem, ...structure.problems] : structure.problems;
  if (problems.length) doc.problems = problems;
  return { kind: 'xml', outcome: { kind: 'feed', doc }, decoded, structure };
}

function overBudget(budgetMs: number): Analysis {
  return { kind: 'other', outcome: { kind: 'unparseable', reason: `parse took longer than its budget of ${budgetMs} ms` } };
}

function failed(err: unknown): Analysis {
  // A bug or an engine limit (e.g. string length); the publisher's body must not take the worker down.
  return { kind: 'other', outcome: { kind: 'unparseable', reason: `feed engine failed: ${(err as Error)?.message ?? String(err)}` } };
}

/** Parses a body once, keeping what rendering needs; `work` counts what the scan reads (tests). Never throws. */
export function analyse(body: Buffer, contentType: string | undefined, budgetMs = DEFAULT_PARSE_BUDGET_MS, work?: WorkCount): Analysis {
  try {
    const run = runSteps(analyseSteps(body, contentType, work), budgetMs);
    return run.done ? run.value : overBudget(budgetMs);
  } catch (err) {
    return failed(err);
  }
}

/** As `analyse`, handing the event loop back every few milliseconds (what the hub's fetch job uses). */
export async function analyseAsync(body: Buffer, contentType: string | undefined, budgetMs = DEFAULT_PARSE_BUDGET_MS): Promise<Analysis> {
  try {
    const run = await runStepsAsync(analyseSteps(body, contentType), budgetMs);
    return run.done ? run.value : overBudget(budgetMs);
  } catch (err) {
    return failed(err);
  }
}

/**
 * Reads a fetched body: a feed (RSS, RDF, Atom, Atom entry, JSON Feed), a
 * plain document, or an unparseable one. The format is sniffed from the bytes,
 * so feeds served as text/html or application/octet-stream are still found;
 * `contentType` only supplies the charset (and hints JSON Feed). Never throws.
 */
export function parseFeed(
  body: Buffer,
  contentType: string | undefined,
  budgetMs = DEFAULT_PARSE_BUDGET_MS,
  work?: WorkCount,
): ParseOutcome {
  return analyse(body, contentType, budgetMs, work).outcome;
}

/** sha256 hex of the exact bytes; identical bodies need no parse at all. */
export function bodyHash(body: Buffer): string {
  return sha256Hex(body);
}
