import type { Queryable, LogEntry } from '../db/index.js';
import { readUpdate, readUpdatesAfter } from '../db/index.js';
import type { Logger } from '../log.js';
import type { UpdateSignal, WakeHandlers } from './wake.js';

/** One reader held open by this web process: an event stream or a long-poll. */
export interface Watch {
  /** Per topic, the newest sequence id this reader has (a topic's ids only grow: its fetches run one at a time). */
  readonly cursors: Map<number, number>;
  /** Hands over one update newer than the reader's cursor for its topic; the hub moves the cursor. */
  deliver(entry: LogEntry): void;
}

/** Most updates one resynchronisation reads; a reader further behind catches up from its own cursor when it reconnects. */
const RESYNC_LIMIT = 1000;

/**
 * The web process's readers, by topic. A signal for a topic nobody here
 * reads costs nothing; otherwise the update is read from the log once and
 * handed to every reader of its topic, in signal order. Idle readers cost no
 * database work.
 */
export class UpdateHub implements WakeHandlers {
  readonly #byTopic = new Map<number, Set<Watch>>();
  #chain: Promise<void> = Promise.resolve();
  #watches = 0;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
  ) {}

  /** Open readers in this process. */
  get size(): number {
    return this.#watches;
  }

  /** Starts handing `watch` the updates of its topics (those in its cursors); returns the function that stops it. */
  add(watch: Watch): () => void {
    for (const topicId of watch.cursors.keys()) {
      let set = this.#byTopic.get(topicId);
      if (!set) this.#byTopic.set(topicId, (set = new Set()));
      set.add(watch);
    }
    this.#watches++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#watches--;
      for (const topicId of watch.cursors.keys()) {
        const set = this.#byTopic.get(topicId);
        set?.delete(watch);
        if (set?.size === 0) this.#byTopic.delete(topicId);
      }
    };
  }

  /** Hands `entry` to `watch` if it is newer than what the reader has. */
  static offer(watch: Watch, entry: LogEntry): void {
    const cursor = watch.cursors.get(entry.topicId);
    if (cursor === undefined || entry.seq <= cursor) return;
    watch.cursors.set(entry.topicId, entry.seq);
    watch.deliver(entry);
  }

  #dispatch(entry: LogEntry): void {
    for (const watch of [...(this.#byTopic.get(entry.topicId) ?? [])]) UpdateHub.offer(watch, entry);
  }

  #enqueue(work: () => Promise<void>): void {
    this.#chain = this.#chain
      .then(work)
      .catch((err) => this.log.warn({ module: 'updates', err: (err as Error).message }, 'update not read'));
  }

  onSignal(signal: UpdateSignal): void {
    if (!this.#byTopic.has(signal.topicId)) return;
    this.#enqueue(async () => {
      const entry = await readUpdate(this.db, signal.seq);
      if (entry) this.#dispatch(entry);
    });
  }

  /** After the listener reconnected: one read of what its readers may have missed meanwhile. */
  onResync(): void {
    if (this.#byTopic.size === 0) return;
    this.#enqueue(async () => {
      const topicIds = [...this.#byTopic.keys()];
      let from = Number.MAX_SAFE_INTEGER;
      for (const id of topicIds) for (const w of this.#byTopic.get(id) ?? []) from = Math.min(from, w.cursors.get(id) ?? from);
      for (const entry of await readUpdatesAfter(this.db, topicIds, from, RESYNC_LIMIT)) this.#dispatch(entry);
    });
  }
}
