import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

/** What travels on a connection's port: bytes of the PostgreSQL protocol, or `null` for the end of the stream. */
type PortMessage = ArrayBuffer | null;

export interface PortStreamOptions {
  /**
   * The writer hands over every chunk it writes and never touches it again,
   * so a chunk that owns its whole ArrayBuffer is transferred, not copied.
   * Only for writers we control (the thread's protocol handler): `pg` may
   * write shared or constant buffers, which a transfer would detach.
   */
  ownsWrites?: boolean;
}

/**
 * One end of a database connection between the hub's thread and the PGlite
 * thread: a Duplex over a MessagePort, with the few socket methods `pg` and
 * pglite-socket's handler call (connect, setNoDelay, setKeepAlive, ref, unref,
 * the remote address). Bytes cross as transferred ArrayBuffers, so each chunk
 * is copied at most once; corked writes (pg corks a query's messages) cross
 * as one message.
 */
export class PortStream extends Duplex {
  readonly remoteAddress = 'in-process';
  readonly remotePort = 0;
  private readonly ownsWrites: boolean;

  constructor(
    private readonly port: MessagePort,
    options: PortStreamOptions = {},
  ) {
    // Like a TCP socket: when one end finishes, the other finishes too and both close.
    super({ allowHalfOpen: false });
    this.ownsWrites = options.ownsWrites ?? false;
    port.on('message', (message: PortMessage) => {
      if (message === null) this.push(null);
      else if (!this.destroyed) this.push(Buffer.from(message));
    });
    // The other end closed its port, or its thread is gone: nothing more will come.
    port.once('close', () => {
      if (!this.readableEnded) this.push(null);
      this.destroy();
    });
  }

  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    this.port.ref();
    return this;
  }
  unref(): this {
    this.port.unref();
    return this;
  }

  override _read(): void {
    // Data is pushed as the port's messages arrive.
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.send(this.ownsWrites && wholeBuffer(chunk) ? (chunk.buffer as ArrayBuffer) : copy([chunk], chunk.length));
    done();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    this.send(
      copy(
        chunks.map((c) => c.chunk),
        chunks.reduce((n, c) => n + c.chunk.length, 0),
      ),
    );
    done();
  }
  override _final(done: (err?: Error | null) => void): void {
    this.post(null);
    done();
  }
  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.port.close();
    done(err);
  }

  private send(buffer: ArrayBuffer): void {
    try {
      this.port.postMessage(buffer, [buffer]);
    } catch {
      // The port is closed: the 'close' handler ends this stream.
    }
  }
  private post(message: PortMessage): void {
    try {
      this.port.postMessage(message);
    } catch {
      // As above.
    }
  }
}

function wholeBuffer(chunk: Buffer): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
}

/** The chunks' bytes in one ArrayBuffer of their exact size, ready to transfer. */
function copy(chunks: Buffer[], size: number): ArrayBuffer {
  const out = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out.buffer;
}
