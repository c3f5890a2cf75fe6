import type { Response } from 'express';
import type { Deps } from '../deps.js';
import { findTopicIdsByUrls, readLatestPage, readPageAfter, type LogEntry } from '../db/index.js';
import { HubError } from '../errors.js';
import type { RenderedUpdates } from './rendered-updates.js';
import { setBodyType } from './read-headers.js';
import type { RetrieveRequest } from './retrieve-params.js';

/** A topic a reader named, with its id. */
export interface NamedTopic {
  id: number;
  url: string;
}

/** The ids of the request's topics; 404 naming the first the hub does not know. */
export async function resolveTopics(deps: Deps, urls: string[]): Promise<NamedTopic[]> {
  const ids = await findTopicIdsByUrls(deps.db.pool, urls);
  return urls.map((url) => {
    const id = ids.get(url);
    if (id === undefined) throw new HubError('HUB_ERR_TOPIC_UNKNOWN', `this hub knows no topic ${url.slice(0, 200)}`);
    return { id, url };
  });
}

/** How an answer read under HUB_RETRIEVE_MAX_BYTES continues, when the cap left updates out of it. */
export interface Continuation {
  /** The cap left updates out of the read. */
  capped: boolean;
  /** Where the rest starts: `before` the oldest sent (newest-first reads) or `after` the newest sent. */
  direction: 'before' | 'after';
}

/** The request's own query with the cursor moved and the count lowered to what is left: the rest of the answer. */
function nextUrl(deps: Deps, request: RetrieveRequest, cursor: number, direction: 'before' | 'after', left: number): string {
  const query = new URLSearchParams({ 'hub.mode': 'retrieve' });
  for (const t of request.topics) query.append('hub.topic', t);
  query.set(direction, String(cursor));
  query.set('count', String(left));
  if (request.format === 'json') query.set('format', 'json');
  if (request.wait !== 'none') {
    query.set('wait', request.wait);
    query.set('timeout', String(request.timeoutSeconds));
  }
  return `${deps.config.publicUrl}?${query}`;
}

/**
 * Sends updates of one topic (newest first) as the topic's own kind of
 * document or as JSON Feed, with the newest sequence id they hold in
 * X-Crier-Seq. Nothing to send: 204 for the feed form (there is no document
 * to be the shell), an empty JSON Feed for the JSON form. When the byte cap
 * left updates out and the answer holds fewer entries than asked for, it says
 * so (`X-Crier-Truncated`) and links the rest (`Link: <...>; rel="next"`).
 */
export async function sendUpdates(
  deps: Deps,
  rendered: RenderedUpdates,
  res: Response,
  topicUrl: string,
  entries: LogEntry[],
  request: RetrieveRequest,
  more: Continuation = { capped: false, direction: 'before' },
): Promise<void> {
  const links = [`<${topicUrl}>; rel="self"`, `<${deps.config.publicUrl}>; rel="hub"`];
  if (entries.length === 0 && request.format === 'feed') {
    res.setHeader('Link', links.join(', '));
    res.setHeader('Cache-Control', 'no-store');
    res.status(204).end();
    return;
  }
  const doc = await rendered.document(entries, request.count, request.format, topicUrl);
  if (res.writableEnded || res.destroyed) return;
  if (more.capped && doc.entries !== undefined && doc.entries < request.count) {
    const cursor = more.direction === 'before' ? entries[entries.length - 1].seq : entries[0].seq;
    links.push(`<${nextUrl(deps, request, cursor, more.direction, request.count - doc.entries)}>; rel="next"`);
    res.setHeader('X-Crier-Truncated', `max-bytes=${deps.config.retrieveMaxBytes}`);
  }
  res.setHeader('Link', links.join(', '));
  res.setHeader('Cache-Control', 'no-store');
  if (doc.newestSeq !== undefined) res.setHeader('X-Crier-Seq', String(doc.newestSeq));
  setBodyType(res.status(200), doc.contentType);
  res.send(doc.body);
}

/**
 * `GET /?hub.mode=retrieve`: the topic's latest entries, or with `before` the
 * ones older than that id, or with `after` the oldest `count` updates newer
 * than it (so a reader pages forward by passing the X-Crier-Seq it got).
 * At most HUB_RETRIEVE_MAX_BYTES of stored updates are read (at least one).
 */
export async function retrieve(deps: Deps, rendered: RenderedUpdates, res: Response, request: RetrieveRequest): Promise<void> {
  const [topic] = await resolveTopics(deps, request.topics);
  const maxBytes = deps.config.retrieveMaxBytes;
  // A notification carries at least one entry, so `count` of them hold the `count` entries asked for.
  if (request.after !== undefined) {
    const page = await readPageAfter(deps.db.pool, [topic.id], request.after, request.count, maxBytes);
    await sendUpdates(deps, rendered, res, topic.url, page.entries.reverse(), request, { capped: page.capped, direction: 'after' });
    return;
  }
  const page = await readLatestPage(deps.db.pool, topic.id, request.count, request.before, maxBytes);
  await sendUpdates(deps, rendered, res, topic.url, page.entries, request, { capped: page.capped, direction: 'before' });
}
