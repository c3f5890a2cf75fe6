import type { ServerResponse } from 'node:http';
import { HubError } from '../errors.js';
import { clientKey } from '../net/target-key.js';

/** Seconds a refused reader is told to wait (Retry-After). */
const RETRY_AFTER_SECONDS = 5;
/** A stream whose client reads slower than updates arrive is dropped past this much unsent data; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export type ReaderKind = 'stream' | 'long_poll';

export interface ReaderLimits {
  maxStreams: number;
  maxStreamsPerClient: number;
  streamHeartbeatMs: number;
}

/**
 * The event streams and long-polls this web process holds: counted against
 * HUB_MAX_STREAMS and the per-address cap, kept alive by one shared heartbeat
 * (no timer per stream), and all ended at once on shutdown.
 */
export class Readers {
  readonly #perClient = new Map<string, number>();
  readonly #open = new Set<() => void>();
  readonly #streams = new Set<ServerResponse>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closing = false;

  /** `onCount` hears each reader that opens (+1) or ends (-1), by kind: the open-streams gauge. */
  constructor(
    private readonly limits: ReaderLimits,
    private readonly onCount: (kind: ReaderKind, delta: 1 | -1) => void = () => undefined,
  ) {}

  get size(): number {
    return this.#open.size;
  }

  /**
   * Counts a new reader from the client at `address` (counted under its IPv4
   * address or IPv6 /64, as every other limit), or throws the 503/429 that
   * refuses it. `end` is what shutdown calls; the returned function releases
   * the slot, once however often it is called.
   */
  admit(address: string, end: () => void, kind: ReaderKind = 'stream'): () => void {
    const client = clientKey(address);
    if (this.#closing || this.#open.size >= this.limits.maxStreams) {
      throw new HubError('HUB_ERR_STREAMS_FULL', undefined, { details: { retryAfter: RETRY_AFTER_SECONDS } });
    }
    const held = this.#perClient.get(client) ?? 0;
    if (held >= this.limits.maxStreamsPerClient) {
      throw new HubError('HUB_ERR_STREAMS_PER_CLIENT', undefined, { details: { retryAfter: RETRY_AFTER_SECONDS } });
    }
    this.#perClient.set(client, held + 1);
    this.#open.add(end);
    this.onCount(kind, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open.delete(end);
      this.onCount(kind, -1);
      const n = (this.#perClient.get(client) ?? 1) - 1;
      if (n > 0) this.#perClient.set(client, n);
      else this.#perClient.delete(client);
    };
  }

  /** Puts an event stream under the shared heartbeat until it closes. */
  addStream(res: ServerResponse): void {
    this.#streams.add(res);
    res.once('close', () => this.#streams.delete(res));
    this.#heartbeat ??= setInterval(() => this.#beat(), this.limits.streamHeartbeatMs);
  }

  /**
   * Writes to a stream unless its client has fallen too far behind, in which
   * case the connection is reset: ending it would keep the unsent data queued
   * (in our buffer and the kernel's) for a client that does not read.
   */
  static write(res: ServerResponse, chunk: string): void {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      Readers.reset(res);
      return;
    }
    res.write(chunk);
  }

  /** Drops a stream whose client stopped reading, with what is still queued for it. */
  static reset(res: ServerResponse): void {
    if (res.socket) res.socket.resetAndDestroy();
    else res.destroy();
  }

  #beat(): void {
    if (this.#streams.size === 0) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
      return;
    }
    // A comment line: ignored by EventSource clients, keeps proxies from closing an idle connection.
    for (const res of this.#streams) Readers.write(res, ':\n\n');
  }

  /** Ends every stream and long-poll (SIGTERM): stream clients reconnect elsewhere with Last-Event-ID. */
  closeAll(): void {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const end of [...this.#open]) end();
  }
}
