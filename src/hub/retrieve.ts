import type { Response } from 'express';
import type { Deps } from '../deps.js';
import { findTopicIdsByUrls, readLatestUpdates, readUpdatesAfter, type LogEntry } from '../db/index.js';
import { HubError } from '../errors.js';
import { renderHistory, renderHistoryJson } from '../feeds/index.js';
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

/**
 * Sends updates of one topic (newest first) as the topic's own kind of
 * document or as JSON Feed, with the newest sequence id they hold in
 * X-Crier-Seq. Nothing to send: 204 for the feed form (there is no document
 * to be the shell), an empty JSON Feed for the JSON form.
 */
export function sendUpdates(deps: Deps, res: Response, topicUrl: string, entries: LogEntry[], request: RetrieveRequest): void {
  res.setHeader('Link', `<${topicUrl}>; rel="self", <${deps.config.publicUrl}>; rel="hub"`);
  res.setHeader('Cache-Control', 'no-store');
  if (entries.length === 0 && request.format === 'feed') {
    res.status(204).end();
    return;
  }
  const doc = request.format === 'json' ? renderHistoryJson(entries, request.count, topicUrl) : renderHistory(entries, request.count);
  if (doc.newestSeq !== undefined) res.setHeader('X-Crier-Seq', String(doc.newestSeq));
  setBodyType(res.status(200), doc.contentType);
  res.send(doc.body);
}

/**
 * `GET /?hub.mode=retrieve`: the topic's latest entries, or with `before` the
 * ones older than that id, or with `after` the oldest `count` updates newer
 * than it (so a reader pages forward by passing the X-Crier-Seq it got).
 */
export async function retrieve(deps: Deps, res: Response, request: RetrieveRequest): Promise<void> {
  const [topic] = await resolveTopics(deps, request.topics);
  // A notification carries at least one entry, so `count` of them hold the `count` entries asked for.
  const entries =
    request.after !== undefined
      ? (await readUpdatesAfter(deps.db.pool, [topic.id], request.after, request.count)).reverse()
      : await readLatestUpdates(deps.db.pool, topic.id, request.count, request.before);
  sendUpdates(deps, res, topic.url, entries, request);
}
