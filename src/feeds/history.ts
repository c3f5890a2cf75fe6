import { toItem, withCrier, type Picked } from './history-items.js';
import { analyse, analyseAsync, type Analysis } from './parse.js';
import { readXmlEntry, type XmlEntryFields } from './xml-feed.js';

/** One body from a topic's update log: what one notification delivered. */
export interface LoggedBody {
  seq: number;
  body: Buffer;
  contentType: string;
  newEntries: number;
  updatedEntries: number;
  /** Keys of its entries that were changed versions of earlier ones, when recorded (null or absent: not known). */
  updatedKeys?: string[] | null;
}

type FeedAnalysis = Exclude<Analysis, { kind: 'other' }>;

/** A retrieve result: the document, its content type and the newest sequence id it holds. */
export interface HistoryDocument {
  body: Buffer;
  contentType: string;
  /** The newest sequence id among what the document carries (undefined for an empty log). */
  newestSeq: number | undefined;
  /** How many entries were picked into it; undefined when it is a body sent whole (not a feed) or the log is empty. */
  entries?: number;
}

const JSON_FEED_TYPE = 'application/feed+json; charset=utf-8';

function isFeed(a: Analysis): a is FeedAnalysis {
  return a.kind === 'xml' || a.kind === 'json';
}

/** Each entry's source text and fields, in document order. */
function entriesOf(a: FeedAnalysis): Array<{ source: string; id: string; key: string; fields: XmlEntryFields; text?: string }> {
  const ids = a.outcome.doc.entries;
  if (a.kind === 'json') return a.json.items.map((source, i) => ({ source, id: ids[i].id, key: ids[i].key, fields: a.json.entries[i] }));
  const text = a.decoded.text;
  return a.structure.entries.map((span, i) => ({
    source: text.slice(span.start, span.end),
    id: ids[i].id,
    key: ids[i].key,
    fields: readXmlEntry(text, span),
    text,
  }));
}

/**
 * Whether an entry was new or an edit: a notification that carried only one
 * kind says so; a mixed one by the updated keys recorded with it, or (an older
 * notification without them) by whether an older logged body carried the same entry.
 */
function statusOf(body: LoggedBody, key: string, olderKeys: (key: string) => boolean): 'new' | 'updated' {
  if (body.updatedEntries === 0) return 'new';
  if (body.newEntries === 0) return 'updated';
  if (body.updatedKeys) return body.updatedKeys.includes(key) ? 'updated' : 'new';
  return olderKeys(key) ? 'updated' : 'new';
}

/**
 * The latest `count` entries across logged bodies given newest first, each
 * entry once (its newest version), newest first. The newest body is the shell
 * the entries are put into; bodies of another kind than the shell (a topic
 * that moved from RSS to JSON Feed) are left out. `distinct: false` keeps an
 * entry a (malformed) document repeats, as a delivery carries it.
 */
function pick(
  bodies: LoggedBody[],
  analyses: Analysis[],
  count: number,
  distinct = true,
  forJson = false,
): { shell: FeedAnalysis; picked: Picked[] } | undefined {
  const shell = analyses[0];
  // An Atom entry document has no feed to put entries into; as JSON Feed its entry is an item like any other.
  if (!shell || !isFeed(shell) || (!forJson && shell.outcome.doc.format === 'atom-entry')) return undefined;
  const lists = analyses.map((a) => (isFeed(a) && a.kind === shell.kind ? entriesOf(a) : []));
  const picked: Picked[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < bodies.length && picked.length < count; i++) {
    const older = (key: string) => lists.slice(i + 1).some((l) => l.some((e) => e.key === key));
    for (const e of lists[i]) {
      if (picked.length >= count) break;
      if (distinct && taken.has(e.key)) continue;
      taken.add(e.key);
      const status = statusOf(bodies[i], e.key, older);
      picked.push({ seq: bodies[i].seq, source: e.source, id: e.id, fields: e.fields, text: e.text, status });
    }
  }
  return { shell, picked };
}

function newest(picked: Picked[]): number | undefined {
  return picked.length ? Math.max(...picked.map((p) => p.seq)) : undefined;
}

/**
 * The topic's latest `count` entries as the topic's own kind of document:
 * the newest logged body with its entries replaced by the picked ones, each
 * exactly as delivered. A topic that is not a feed gets its latest body
 * whole. Pure; never throws on any body.
 */
export function renderHistory(bodies: LoggedBody[], count: number): HistoryDocument {
  return historyFeed(bodies, analysesOf(bodies), count);
}

function historyFeed(bodies: LoggedBody[], analyses: Analysis[], count: number): HistoryDocument {
  if (bodies.length === 0) return { body: Buffer.alloc(0), contentType: 'text/plain; charset=utf-8', newestSeq: undefined };
  const result = pick(bodies, analyses, count);
  if (!result) return { body: bodies[0].body, contentType: bodies[0].contentType, newestSeq: bodies[0].seq };
  const { shell, picked } = result;
  const text = shell.decoded.text;
  let out: string;
  if (shell.kind === 'json') {
    out = `${text.slice(0, shell.json.itemsStart)}[${picked.map((p) => p.source).join(',')}]${text.slice(shell.json.itemsEnd)}`;
  } else {
    const spans = shell.structure.entries;
    out = `${text.slice(0, spans[0].start)}${picked.map((p) => p.source).join('\n')}${text.slice(spans[spans.length - 1].end)}`;
  }
  return { body: Buffer.from(out, 'utf8'), contentType: bodies[0].contentType, newestSeq: newest(picked), entries: picked.length };
}

/**
 * The topic's latest `count` entries as a JSON Feed 1.1 document, newest
 * first, each item carrying `_crier: { seq, status, id }`. A JSON Feed topic
 * keeps its own document and items as written; RSS and Atom entries are
 * converted. A topic that is not a feed gets one item holding its latest
 * body as text.
 */
export function renderHistoryJson(bodies: LoggedBody[], count: number, topicUrl: string): HistoryDocument {
  return historyJson(bodies, analysesOf(bodies), count, topicUrl);
}

function historyJson(bodies: LoggedBody[], analyses: Analysis[], count: number, topicUrl: string, distinct = true): HistoryDocument {
  const result = bodies.length ? pick(bodies, analyses, count, distinct, true) : undefined;
  if (result?.shell.kind === 'json') {
    const { shell, picked } = result;
    const text = shell.decoded.text;
    const items = picked.map((p) => withCrier(p.source, p)).join(',');
    let out = `${text.slice(0, shell.json.itemsStart)}[${items}]${text.slice(shell.json.itemsEnd)}`;
    // A bare "1.0"/"1.1" version becomes the URL JSON Feed defines; everything else stays as written.
    const bare = shell.json.bareVersion;
    if (bare && bare.end <= shell.json.itemsStart) out = `${out.slice(0, bare.start)}${JSON.stringify(bare.url)}${out.slice(bare.end)}`;
    else if (bare) {
      const shift = items.length + 2 - (shell.json.itemsEnd - shell.json.itemsStart);
      out = `${out.slice(0, bare.start + shift)}${JSON.stringify(bare.url)}${out.slice(bare.end + shift)}`;
    }
    return { body: Buffer.from(out, 'utf8'), contentType: JSON_FEED_TYPE, newestSeq: newest(picked), entries: picked.length };
  }
  const feed: Record<string, unknown> = { version: 'https://jsonfeed.org/version/1.1', title: topicUrl, feed_url: topicUrl };
  let items: Array<Record<string, unknown>>;
  let newestSeq: number | undefined;
  let entries: number | undefined;
  if (result) {
    if (result.shell.outcome.doc.title) feed.title = result.shell.outcome.doc.title;
    items = result.picked.map(toItem);
    newestSeq = newest(result.picked);
    entries = result.picked.length;
  } else if (bodies.length) {
    const b = bodies[0];
    const first = analyses[0];
    if (isFeed(first) && first.outcome.doc.title) feed.title = first.outcome.doc.title;
    const crier = { seq: b.seq, status: 'new', id: `${topicUrl}#${b.seq}`, content_type: b.contentType };
    items = [{ id: crier.id, content_text: b.body.toString('utf8'), _crier: crier }];
    newestSeq = b.seq;
  } else {
    items = [];
  }
  feed.items = items;
  const doc: HistoryDocument = { body: Buffer.from(JSON.stringify(feed), 'utf8'), contentType: JSON_FEED_TYPE, newestSeq };
  if (entries !== undefined) doc.entries = entries;
  return doc;
}

/**
 * One delivered body (a notification's) as a JSON Feed 1.1 document: what a
 * `crier.format=json` subscriber receives. Every entry the body carries becomes
 * one item, in document order, with `_crier: { seq, status, id }`; JSON Feed
 * items stay as the publisher wrote them, RSS and Atom entries are converted,
 * and a body that is not a feed is one item holding it as text. Pure; never
 * throws on any body.
 */
export function toJsonFeed(body: LoggedBody, topicUrl: string): HistoryDocument {
  return historyJson([body], analysesOf([body]), Number.MAX_SAFE_INTEGER, topicUrl, false);
}

/** `toJsonFeed` with the parse run in slices that hand the event loop back (for jobs sharing a thread with the front). */
export async function toJsonFeedAsync(body: LoggedBody, topicUrl: string): Promise<HistoryDocument> {
  return historyJson([body], await analysesOfAsync([body]), Number.MAX_SAFE_INTEGER, topicUrl, false);
}

/** `renderHistory` (format `feed`) or `renderHistoryJson` (`json`), with the parses run in slices. */
export async function renderHistoryAsync(
  bodies: LoggedBody[],
  count: number,
  format: 'feed' | 'json',
  topicUrl: string,
): Promise<HistoryDocument> {
  const analyses = await analysesOfAsync(bodies);
  return format === 'json' ? historyJson(bodies, analyses, count, topicUrl) : historyFeed(bodies, analyses, count);
}

/** A logged body's parse: it depends on the body alone, so it can be kept and reused for any render of that body. */
export type ParsedBody = Analysis;

/** Parses one logged body in slices that hand the event loop back. */
export function parseLoggedBody(body: LoggedBody): Promise<ParsedBody> {
  return analyseAsync(body.body, body.contentType);
}

/** Roughly the memory a kept parse holds: its decoded text (two bytes a character at most) and a share per entry. */
export function parsedWeight(parsed: ParsedBody): number {
  if (!isFeed(parsed)) return 1024;
  return parsed.decoded.text.length * 2 + parsed.outcome.doc.entries.length * 1024;
}

/** `renderHistoryAsync` from parses made earlier (`parsed[i]` of `bodies[i]`), without parsing again. */
export function renderParsedHistory(
  bodies: LoggedBody[],
  parsed: ParsedBody[],
  count: number,
  format: 'feed' | 'json',
  topicUrl: string,
): HistoryDocument {
  return format === 'json' ? historyJson(bodies, parsed, count, topicUrl) : historyFeed(bodies, parsed, count);
}

function analysesOf(bodies: LoggedBody[]): Analysis[] {
  return bodies.map((b) => analyse(b.body, b.contentType));
}

async function analysesOfAsync(bodies: LoggedBody[]): Promise<Analysis[]> {
  const analyses: Analysis[] = [];
  for (const b of bodies) analyses.push(await analyseAsync(b.body, b.contentType));
  return analyses;
}
