import type { Request, Response } from 'express';
import type { Deps } from '../deps.js';
import { newestSeqs, readUpdatesAfter, type LogEntry } from '../db/index.js';
import { renderHistoryJson } from '../feeds/index.js';
import type { UpdateHub } from '../updates/index.js';
import { Readers } from './readers.js';
import { MAX_COUNT, type RetrieveRequest } from './retrieve-params.js';
import { resolveTopics } from './retrieve.js';

/** Most updates a resumed stream is sent at once from the log (more than any topic keeps by default). */
const RESUME_LIMIT = 1000;

// One update is dispatched to every stream of its topic as one object: its event text is built once per form.
const rendered = new WeakMap<LogEntry, { feed?: string; json?: string }>();

/** The `data:` lines of an event: every line of the payload gets its own (the client joins them with newlines). */
function dataLines(payload: string): string {
  return payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n');
}

/** One update as a server-sent event: `id:` its sequence id, `event: notification`, JSON data. */
export function eventOf(entry: LogEntry, format: 'feed' | 'json'): string {
  let cache = rendered.get(entry);
  if (!cache) rendered.set(entry, (cache = {}));
  const cached = cache[format];
  if (cached !== undefined) return cached;
  const payload =
    format === 'json'
      ? renderHistoryJson([entry], MAX_COUNT, entry.topicUrl).body.toString('utf8')
      : JSON.stringify({
          seq: entry.seq,
          topic: entry.topicUrl,
          contentType: entry.contentType,
          newEntries: entry.newEntries,
          updatedEntries: entry.updatedEntries,
          body: entry.body.toString('utf8'),
        });
  const text = `id: ${entry.seq}\nevent: notification\n${dataLines(payload)}\n\n`;
  cache[format] = text;
  return text;
}

/** Sent with a stream's first event: reconnect soon after the hub ends a stream (a deploy), resuming with Last-Event-ID. */
const RETRY_FIELD = 'retry: 1000\n';

/**
 * `wait=stream` (or Accept: text/event-stream): one event per update of any
 * of the topics. With `after` or Last-Event-ID it first sends everything
 * newer that the log still holds, in order, then live updates; without, only
 * live ones. Heartbeats come from the shared Readers timer.
 *
 * The slot is taken, and its release tied to the connection's close, before
 * the first `await`: a client gone during the handshake is released at once,
 * counted under the address it came from.
 */
export async function eventStream(
  deps: Deps,
  live: { updates: UpdateHub; readers: Readers },
  req: Request,
  res: Response,
  request: RetrieveRequest,
) {
  const address = req.ip ?? req.socket.remoteAddress;
  // No address: the connection closed before the request got here; there is no one to answer.
  if (address === undefined) return;
  let closed = false;
  let remove = () => {};
  const release = live.readers.admit(address, () => res.end());
  const finish = () => {
    if (closed) return;
    closed = true;
    remove();
    release();
  };
  res.once('close', finish);
  if (res.destroyed) finish();
  let ids: number[];
  let cursors: Map<number, number>;
  try {
    ids = (await resolveTopics(deps, request.topics)).map((t) => t.id);
    cursors = request.after !== undefined ? new Map(ids.map((id) => [id, request.after!])) : await newestSeqs(deps.db.pool, ids);
  } catch (err) {
    finish();
    throw err;
  }
  if (closed) return;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // nginx and similar proxies would otherwise buffer the stream.
    'x-accel-buffering': 'no',
    link: `<${deps.config.publicUrl}>; rel="hub"`,
  });
  // A comment sends the headers now. The retry field waits for the first event: a block of its own
  // is an empty message to some clients (httpx-sse).
  res.write(':\n\n');
  live.readers.addStream(res);

  let retry = RETRY_FIELD;
  const send = (entry: LogEntry) => {
    Readers.write(res, retry + eventOf(entry, request.format));
    retry = '';
  };
  let pending: LogEntry[] | undefined = request.after !== undefined ? [] : undefined;
  remove = live.updates.add({ cursors, deliver: (entry) => (pending ? pending.push(entry) : send(entry)) });
  if (!pending) return;
  try {
    // Watching first, then reading: an update lands in the backlog, in pending, or in both (sent once).
    const sent = new Set<number>();
    for (const entry of await readUpdatesAfter(deps.db.pool, ids, request.after!, RESUME_LIMIT)) {
      sent.add(entry.seq);
      if (entry.seq > (cursors.get(entry.topicId) ?? 0)) cursors.set(entry.topicId, entry.seq);
      send(entry);
    }
    const live = pending;
    pending = undefined;
    for (const entry of live) if (!sent.has(entry.seq)) send(entry);
  } catch (err) {
    deps.log.warn({ module: 'stream', err: (err as Error).message }, 'stream backlog not read; ending the stream');
    res.end();
  }
}
