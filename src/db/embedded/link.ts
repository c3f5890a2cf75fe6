import type { Duplex } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { NotificationRouter } from './notifications.js';

const DEFERRED = new Set(['P', 'B', 'D', 'E', 'C'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);
const QUERY = 'Q'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);

interface Batch {
  handlerId: number;
  bytes: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (n: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs every connection's protocol traffic on PGlite's single session without
 * letting connections interleave inside a unit of work. pglite-socket's own
 * queue interleaves single messages, so one client's Bind could meet another
 * client's Parse ("unnamed prepared statement does not exist"). Here a
 * connection's Parse/Bind/Describe/Execute/Close messages are held until its
 * Sync (or a simple Query) and run as one batch; while the session is inside
 * a transaction, or after a Flush without Sync, only the owning connection runs.
 */
class SessionScheduler {
  private queue: Batch[] = [];
  private pending = new Map<number, Uint8Array[]>();
  private owner: number | null = null;
  private running = false;
  private readonly notices = new NotificationRouter();
  private holdTimer: NodeJS.Timeout | undefined;

  /**
   * `onIdleOwner` is called with a connection that kept the session inside a
   * transaction for `idleTransactionMs` without sending anything: everyone
   * else waits on it, so it is ended (as PostgreSQL's
   * idle_in_transaction_session_timeout does) rather than waited on forever.
   */
  constructor(
    private readonly db: PGlite,
    private readonly idleTransactionMs: number,
    private readonly onIdleOwner: (handlerId: number) => void,
  ) {}

  private armHoldTimer(): void {
    clearTimeout(this.holdTimer);
    const owner = this.owner;
    if (owner === null) return;
    this.holdTimer = setTimeout(() => {
      if (this.owner === owner && !this.running && !this.queue.some((b) => b.handlerId === owner)) this.onIdleOwner(owner);
    }, this.idleTransactionMs);
    this.holdTimer.unref();
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    const type = message[0];
    if (type === TERMINATE) return Promise.resolve(0);
    this.notices.noteQuery(handlerId, message, onData);
    const held = this.pending.get(handlerId) ?? [];
    if (DEFERRED.has(type) && !isStartup(message)) {
      held.push(message);
      this.pending.set(handlerId, held);
      return Promise.resolve(0);
    }
    this.pending.delete(handlerId);
    const bytes = held.length === 0 ? message : concat([...held, message]);
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, bytes, onData, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const index = this.owner === null ? 0 : this.queue.findIndex((b) => b.handlerId === this.owner);
        if (index === -1) break; // the owner is mid-transaction; others wait for it
        const [batch] = this.queue.splice(index, 1);
        const last = batch.bytes[lastMessageStart(batch.bytes)];
        try {
          const out: Uint8Array[] = [];
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(batch.bytes, { onRawData: (data: Uint8Array) => void out.push(data.slice()) }),
          );
          const data = this.notices.route(batch.handlerId, out.length === 1 ? out[0] : concat(out));
          if (data.length > 0) batch.onData(data);
          batch.resolve(data.length);
        } catch (err) {
          batch.reject(err);
        }
        const flushedOnly = last !== SYNC && last !== QUERY && !isStartup(batch.bytes);
        this.owner = this.db.isInTransaction() || flushedOnly ? batch.handlerId : null;
      }
    } finally {
      this.running = false;
      this.armHoldTimer();
    }
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.pending.delete(handlerId);
    this.notices.forget(handlerId);
    this.queue = this.queue.filter((b) => {
      if (b.handlerId !== handlerId) return true;
      b.reject(new Error('connection closed'));
      return false;
    });
  }

  /** A connection that dies mid-transaction must not hold the only session. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('rollback').catch(() => {});
    this.owner = null;
    clearTimeout(this.holdTimer);
    void this.drain();
  }
}

function isStartup(message: Uint8Array): boolean {
  return message.length >= 8 && new DataView(message.buffer, message.byteOffset).getInt32(4) === 196608;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** Offset of the last message in a batch of complete protocol messages. */
function lastMessageStart(bytes: Uint8Array): number {
  if (isStartup(bytes)) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (;;) {
    const next = offset + 1 + view.getInt32(offset + 1);
    if (next >= bytes.length) return offset;
    offset = next;
  }
}

export interface LinkOptions {
  /** How long a connection may sit inside a transaction without a message before it is ended. */
  idleTransactionMs: number;
  /** Told each time a connection is ended for that. */
  onIdleTransaction?: (handlerId: number) => void;
}

export interface PgliteLink {
  /** Serves one connection whose protocol bytes arrive on `stream` (a socket-like Duplex; see port-stream.ts). */
  attach(stream: Duplex): void;
  /** Ends every connection, rolling back a transaction one of them holds. */
  close(): Promise<void>;
}

/**
 * Serves `pg` connections on PGlite through pglite-socket's protocol handler
 * and our scheduler. The streams come from the hub's thread over message
 * ports (thread.ts); nothing listens: no TCP port, no unix socket, so
 * no other process can reach the session, whatever credentials it tries
 * (PGlite accepts any).
 */
export function linkPglite(db: PGlite, options: LinkOptions): PgliteLink {
  const handlers = new Set<PGLiteSocketHandler>();
  const scheduler = new SessionScheduler(db, options.idleTransactionMs, (handlerId) => {
    options.onIdleTransaction?.(handlerId);
    for (const handler of handlers) if (handler.handlerId === handlerId) void handler.detach(true).catch(() => {});
  });
  return {
    attach(stream) {
      const handler = new PGLiteSocketHandler({ queryQueue: scheduler as never, closeOnDetach: true });
      handlers.add(handler);
      handler.addEventListener('close', () => handlers.delete(handler));
      handler.addEventListener('error', () => handlers.delete(handler));
      handler.attach(stream as never).catch(() => stream.destroy());
    },
    async close() {
      for (const handler of handlers) await handler.detach(true);
    },
  };
}
