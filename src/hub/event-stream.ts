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

/** Resolves once `res` may take more (its buffer drained) or is gone. */
function writable(res: Response): Promise<void> {
  if (!res.writableNeedDrain || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * `wait=stream` (or Accept: text/event-stream): one event per update of any
 * of the topics. With `after` or Last-Event-ID it first sends everything
 * newer that the log still holds, in order, then live updates; without, only
 * live ones. Heartbeats come from the shared Readers timer.
 */
export async function eventStream(
  deps: Deps,
  live: { updates: UpdateHub; readers: Readers; rendered: RenderedUpdates },
  req: Request,
  res: Response,
  request: RetrieveRequest,
) {
  const topics = await resolveTopics(deps, request.topics);
  const ids = topics.map((t) => t.id);
  const release = live.readers.admit(req.ip ?? 'unknown', () => res.end());
  let cursors: Map<number, number>;
  try {
    cursors = request.after !== undefined ? new Map(ids.map((id) => [id, request.after!])) : await newestSeqs(deps.db.pool, ids);
  } catch (err) {
    release();
    throw err;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // nginx and similar proxies would otherwise buffer the stream.
    'x-accel-buffering': 'no',
    link: `<${deps.config.publicUrl}>; rel="hub"`,
  });
  // Reconnect soon after the hub ends a stream (a deploy): the client resumes with Last-Event-ID.
  res.write('retry: 1000\n\n');
  live.readers.addStream(res);

  // Events go out in log order, each rendered (once per process, see RenderedUpdates) before it is written.
  let chain = Promise.resolve();
  const send = (entry: LogEntry) => {
    chain = chain
      .then(() => live.rendered.event(entry.seq, request.format, () => Promise.resolve(entry)))
      .then((bytes) => bytes && Readers.write(res, bytes.toString('utf8')))
      .catch((err) => {
        deps.log.warn({ module: 'stream', err: (err as Error).message }, 'stream event not rendered; ending the stream');
        res.end();
      });
  };
  let pending: LogEntry[] | undefined = request.after !== undefined ? [] : undefined;
  const remove = live.updates.add({ cursors, deliver: (entry) => (pending ? pending.push(entry) : send(entry)) });
  res.once('close', () => {
    remove();
    release();
  });
  if (!pending) return;
  try {
    // Watching first, then reading: an update lands in the backlog, in pending, or in both (sent once).
    // The backlog is read HUB_RETRIEVE_MAX_BYTES at a time, and the next read waits until the client took the last.
    const sent = new Set<number>();
    let after = request.after!;
    for (;;) {
      const page = await readRefsAfter(deps.db.pool, ids, after, RESUME_LIMIT, deps.config.retrieveMaxBytes);
      for (const ref of page.refs) {
        sent.add(ref.seq);
        if (ref.seq > (cursors.get(ref.topicId) ?? 0)) cursors.set(ref.topicId, ref.seq);
        // The body is read only when no other reader of this process has the event made already.
        const bytes = await live.rendered.event(ref.seq, request.format, () => readUpdate(deps.db.pool, ref.seq));
        await writable(res);
        if (res.writableEnded || res.destroyed) return;
        if (bytes) res.write(bytes);
      }
      if (page.refs.length === 0 || (!page.capped && page.refs.length < RESUME_LIMIT)) break;
      after = page.refs[page.refs.length - 1].seq;
    }
    const caught = pending;
    pending = undefined;
    for (const entry of caught) if (!sent.has(entry.seq)) send(entry);
  } catch (err) {
    deps.log.warn({ module: 'stream', err: (err as Error).message }, 'stream backlog not read; ending the stream');
    res.end();
  }
}
