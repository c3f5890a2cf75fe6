import type { Queryable, LogEntry } from '../db/index.js';
import { readUpdatesAfter } from '../db/index.js';
import type { Logger } from '../log.js';
import type { UpdateSignal, WakeHandlers } from './wake.js';

/** One reader held open by this web process: an event stream or a long-poll. */
export interface Watch {
  /** Per topic, the newest sequence id this reader has (a topic's ids only grow: its fetches run one at a time). */
  readonly cursors: Map<number, number>;
  /** Hands over one update newer than the reader's cursor for its topic; the hub moves the cursor. */
  deliver(entry: LogEntry): void;
}

/** Most updates one read takes; a catch-up reads on until it has everything. */
const READ_LIMIT = 1000;

/**
 * The web process's readers, by topic. A signal for a topic nobody here
 * reads costs nothing; otherwise one read takes every update of the watched
 * topics newer than the last read (the horizon), in id order, and hands each
 * to the readers of its topic. Update ids commit in id order (the store takes
 * one lock for them, src/db/fetch-results.ts), so a signal arriving out of
 * order, or lost, costs latency, never order: every reader gets its topics'
 * updates in id order, and a stream's Last-Event-ID covers all its topics.
 * Idle readers cost no database work.
 */
export class UpdateHub implements WakeHandlers {
  readonly #byTopic = new Map<number, Set<Watch>>();
  #chain: Promise<void> = Promise.resolve();
  #watches = 0;
  /** Every update of a watched topic up to this id has been read and handed out; unset while nobody watches. */
  #horizon: number | undefined;

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
      // Nothing to keep up with: the next reader starts from its own cursor.
      if (this.#watches === 0) this.#horizon = undefined;
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
    this.#chain = this.#chain.then(work).catch((err) => this.log.warn({ module: 'updates', err }, 'update not read'));
  }

  /** The oldest cursor of any reader: where a catch-up starts when there is no horizon yet. */
  #oldestCursor(): number {
    let from = Number.MAX_SAFE_INTEGER;
    for (const [topicId, set] of this.#byTopic) for (const w of set) from = Math.min(from, w.cursors.get(topicId) ?? from);
    return from;
  }

  /**
   * Reads and hands out every update of the watched topics past the horizon.
   * A signalled `seq` (committed, so every lower id is too) that is not past it was read already.
   */
  async #catchUp(seq?: number): Promise<void> {
    if (this.#byTopic.size === 0 || (seq !== undefined && this.#horizon !== undefined && seq <= this.#horizon)) return;
    let from = this.#horizon ?? this.#oldestCursor();
    for (;;) {
      const batch = await readUpdatesAfter(this.db, [...this.#byTopic.keys()], from, READ_LIMIT);
      for (const entry of batch) this.#dispatch(entry);
      if (batch.length > 0) from = batch[batch.length - 1].seq;
      if (batch.length < READ_LIMIT) break;
    }
    if (this.#watches > 0) this.#horizon = Math.max(from, seq ?? 0);
  }

  onSignal(signal: UpdateSignal): void {
    if (!this.#byTopic.has(signal.topicId)) return;
    this.#enqueue(() => this.#catchUp(signal.seq));
  }

  /** After the listener reconnected: one catch-up for whatever was missed meanwhile. */
  onResync(): void {
    this.#enqueue(() => this.#catchUp());
  }
}
