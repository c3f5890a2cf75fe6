import type { Deps } from '../deps.js';
import { claimDueTopics } from '../db/index.js';
import { enqueueFetches } from '../queue/index.js';

/** How often the scheduler looks for due topics when the last look found fewer than a batch. */
const TICK_MS = 500;

export interface PollScheduler {
  close(): Promise<void>;
}

/**
 * Polls every subscribed topic on its schedule (issue 13). The schedule lives in the
 * database (topics.poll_at), so it survives restarts and every worker process runs one of
 * these: each claims a batch of due topics in one statement (SKIP LOCKED, next poll pushed
 * ahead in the same statement, db/poll.ts) and queues them in one call through the same
 * fetch jobs and ids a ping uses, so a poll due while a ping's fetch is queued merges into it.
 * A full batch is followed at once by the next; otherwise it waits a tick. While the fetch
 * queue already holds a batch's worth of waiting jobs, it claims nothing (the topics stay due).
 */
export function startPollScheduler(deps: Deps): PollScheduler {
  const log = deps.log.child({ module: 'poll' });
  const batch = deps.config.pollBatch;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function round(): Promise<number> {
    const waiting = await deps.queues.fetch.getWaitingCount();
    const room = batch - waiting;
    if (room <= 0) return 0;
    const topics = await claimDueTopics(deps.db.pool, room, deps.config.pollMinSeconds);
    if (topics.length > 0) {
      await enqueueFetches(deps.queues, topics);
      log.debug({ topics: topics.length }, 'due topics queued for polling');
    }
    return topics.length === room ? topics.length : 0;
  }

  function loop(): void {
    running = (async () => {
      let full = 0;
      try {
        full = await round();
      } catch (err) {
        // A lost enqueue costs one interval: the claim already moved these topics' next poll.
        log.warn({ err }, 'poll round failed');
      }
      if (!stopped) timer = setTimeout(loop, full > 0 ? 0 : TICK_MS);
    })();
  }
  timer = setTimeout(loop, 0);

  return {
    async close() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
