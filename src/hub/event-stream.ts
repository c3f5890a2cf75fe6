import type { Request, Response } from 'express';
import type { Deps } from '../deps.js';
import { newestSeqs, readRefsAfter, readUpdate, type LogEntry } from '../db/index.js';
import type { UpdateHub } from '../updates/index.js';
import { Readers } from './readers.js';
import type { RetrieveRequest } from './retrieve-params.js';
import type { RenderedUpdates } from './rendered-updates.js';
import { resolveTopics } from './retrieve.js';

/** Most updates one read of a resuming stream's backlog takes (HUB_RETRIEVE_MAX_BYTES bounds it too). */
const RESUME_LIMIT = 1000;

/** True once `res` may take more (its buffer drained) or is gone; false if its client took nothing for `ms`. */
function drained(res: Response, ms: number): Promise<boolean> {
  if (!res.writableNeedDrain || res.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (taken: boolean) => {
      clearTimeout(timer);
      res.off('drain', took);
      res.off('close', took);
      resolve(taken);
    };
    const took = () => finish(true);
    const timer = setTimeout(() => finish(false), ms);
    res.on('drain', took);
    res.on('close', took);
  });
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
  live: { updates: UpdateHub; readers: Readers; rendered: RenderedUpdates },
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

  // The retry field goes in front of the first event, from the backlog or live.
  let retry = RETRY_FIELD;
  const withRetry = (event: string) => {
    const text = retry + event;
    retry = '';
    return text;
  };
  // Events go out in log order, each rendered (once per process, see RenderedUpdates) before it is written.
  let chain = Promise.resolve();
  const send = (entry: LogEntry) => {
    chain = chain
      .then(() => live.rendered.event(entry.seq, request.format, () => Promise.resolve(entry)))
      .then((bytes) => bytes && Readers.write(res, withRetry(bytes.toString('utf8'))))
      .catch((err) => {
        deps.log.warn({ module: 'stream', err }, 'stream event not rendered; ending the stream');
        res.end();
      });
  };
  let pending: LogEntry[] | undefined = request.after !== undefined ? [] : undefined;
  remove = live.updates.add({ cursors, deliver: (entry) => (pending ? pending.push(entry) : send(entry)) });
  if (!pending) return;
  try {
    // Watching first, then reading: an update lands in the backlog, in pending, or in both (sent once).
    const sent = await sendBacklog(deps, live.rendered, res, { request, ids, cursors, write: (text) => res.write(withRetry(text)) });
    if (!sent) return;
    const caught = pending;
    pending = undefined;
    for (const entry of caught) if (!sent.has(entry.seq)) send(entry);
  } catch (err) {
    deps.log.warn({ module: 'stream', err }, 'stream backlog not read; ending the stream');
    res.end();
  }
}

/**
 * A resuming stream's backlog: every update the log holds after `request.after`, read HUB_RETRIEVE_MAX_BYTES
 * at a time, the next read waiting until the client took the last; `cursors` move past what is sent. The seqs
 * sent, or undefined when the stream ended on the way.
 */
async function sendBacklog(
  deps: Deps,
  rendered: RenderedUpdates,
  res: Response,
  stream: { request: RetrieveRequest; ids: number[]; cursors: Map<number, number>; write: (text: string) => void },
): Promise<Set<number> | undefined> {
  const { request, ids, cursors } = stream;
  const sent = new Set<number>();
  let after = request.after!;
  for (;;) {
    const page = await readRefsAfter(deps.db.pool, ids, after, RESUME_LIMIT, deps.config.retrieveMaxBytes);
    for (const ref of page.refs) {
      sent.add(ref.seq);
      if (ref.seq > (cursors.get(ref.topicId) ?? 0)) cursors.set(ref.topicId, ref.seq);
      // The body is read only when no other reader of this process has the event made already.
      const bytes = await rendered.event(ref.seq, request.format, () => readUpdate(deps.db.pool, ref.seq));
      // A client that takes nothing for two heartbeats is gone or stalling: it would hold its slot, and the live
      // updates gathering behind the backlog, for ever (issue 20, item 8). It resumes with Last-Event-ID.
      if (!(await drained(res, 2 * deps.config.streamHeartbeatMs))) {
        Readers.reset(res);
        return undefined;
      }
      if (res.writableEnded || res.destroyed) return undefined;
      if (bytes) stream.write(bytes.toString('utf8'));
    }
    if (page.refs.length === 0 || (!page.capped && page.refs.length < RESUME_LIMIT)) break;
    after = page.refs[page.refs.length - 1].seq;
  }
  return sent;
}
