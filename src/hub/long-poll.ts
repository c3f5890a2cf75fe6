import type { Request, Response } from 'express';
import type { Deps } from '../deps.js';
import { newestSeqs, readPageAfter, type LogEntry } from '../db/index.js';
import type { UpdateHub } from '../updates/index.js';
import type { Readers } from './readers.js';
import type { RenderedUpdates } from './rendered-updates.js';
import { resolveTopics, sendUpdates } from './retrieve.js';
import type { RetrieveRequest } from './retrieve-params.js';

/**
 * Updates of one topic only, oldest first, stopping before the first update
 * of another: one answer is one topic's document, and the reader's next
 * `after` (the answer's X-Crier-Seq) skips nothing of the other topics.
 */
function oneTopic(entries: LogEntry[], count: number): LogEntry[] {
  const first = entries[0];
  const out: LogEntry[] = [];
  for (const e of entries) {
    if (e.topicId !== first.topicId || out.length >= count) break;
    out.push(e);
  }
  return out;
}

/**
 * `wait=poll`: answers at once when the log holds something newer than
 * `after` for any of the topics, else holds the request until an update
 * arrives (answered with it) or the timeout (204). Without `after`, waits for
 * the next update. The slot is taken and tied to the connection's close
 * before the first `await`, as for event streams.
 */
export async function longPoll(
  deps: Deps,
  live: { updates: UpdateHub; readers: Readers; rendered: RenderedUpdates },
  req: Request,
  res: Response,
  request: RetrieveRequest,
) {
  const address = req.ip ?? req.socket.remoteAddress;
  // No address: the connection closed before the request got here; there is no one to answer.
  if (address === undefined) return;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let remove = () => {};
  let urls = new Map<number, string>();
  const end = (entries: LogEntry[] = [], capped = false) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    remove();
    release();
    if (res.writableEnded || res.destroyed) return;
    if (entries.length === 0) {
      res.status(204).setHeader('Cache-Control', 'no-store').end();
      return;
    }
    const url = urls.get(entries[0].topicId)!;
    sendUpdates(deps, live.rendered, res, url, [...entries].reverse(), request, { capped, direction: 'after' }).catch((err) => {
      deps.log.warn({ module: 'long-poll', err }, 'long-poll answer not rendered');
      if (!res.headersSent) res.status(500).type('text/plain').send('the answer could not be rendered; retry\n');
      else res.destroy();
    });
  };
  const release = live.readers.admit(address, () => end(), 'long_poll');
  res.once('close', () => end());
  if (res.destroyed) end();
  try {
    const topics = await resolveTopics(deps, request.topics);
    urls = new Map(topics.map((t) => [t.id, t.url]));
    const ids = topics.map((t) => t.id);
    const cursors = request.after !== undefined ? new Map(ids.map((id) => [id, request.after!])) : await newestSeqs(deps.db.pool, ids);
    if (done) return;
    remove = live.updates.add({ cursors, deliver: (entry) => end([entry]) });
    timer = setTimeout(() => end(), request.timeoutSeconds * 1000);
    if (request.after !== undefined) {
      const backlog = await readPageAfter(deps.db.pool, ids, request.after, request.count, deps.config.retrieveMaxBytes);
      if (backlog.entries.length > 0) {
        const answer = oneTopic(backlog.entries, request.count);
        // Only the cap can have cut this topic's run short: another topic's update after it ends the answer anyway.
        end(answer, backlog.capped && answer.length === backlog.entries.length);
      }
    }
  } catch (err) {
    if (done) return;
    done = true;
    clearTimeout(timer);
    remove();
    release();
    throw err;
  }
}
