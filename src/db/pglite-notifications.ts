const NOTIFICATION = 'A'.charCodeAt(0);
const QUERY = 'Q'.charCodeAt(0);
const PARSE = 'P'.charCodeAt(0);

/**
 * NOTIFY across connections. The single session hears every LISTEN, so a
 * notification comes out in the reply of whichever connection committed the
 * NOTIFY; here it is also sent to the other connections that asked for its
 * channel (BullMQ's workers block on LISTEN bullmq_jobs rather than polling).
 * Sent between batches, so it never splits another reply.
 */
export class NotificationRouter {
  private readonly listeners = new Map<number, { channels: Set<string>; send: (data: Uint8Array) => void }>();

  /** Notes the LISTEN and UNLISTEN commands of a simple query or a Parse message. */
  noteListens(handlerId: number, message: Uint8Array, send: (data: Uint8Array) => void): void {
    const sql = queryText(message);
    if (!sql || !/listen/i.test(sql)) return;
    for (const [, un, quote, name] of sql.replace(/--[^\n]*/g, ' ').matchAll(/\b(UN)?LISTEN\s+("?)([\w$*]+)\2/gi)) {
      const channel = quote ? name : name.toLowerCase();
      const entry = this.listeners.get(handlerId) ?? { channels: new Set<string>(), send };
      if (!un) entry.channels.add(channel);
      else if (channel === '*') entry.channels.clear();
      else entry.channels.delete(channel);
      entry.send = send;
      this.listeners.set(handlerId, entry);
    }
  }

  forget(handlerId: number): void {
    this.listeners.delete(handlerId);
  }

  /** Sends each notification in `reply` (the batch of `handlerId`) to the other connections listening on its channel. */
  forward(handlerId: number, reply: Uint8Array): void {
    if (this.listeners.size === 0 || !reply.includes(NOTIFICATION)) return;
    const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    for (let offset = 0; offset + 5 <= reply.length;) {
      const length = view.getInt32(offset + 1);
      if (length < 4) return; // not a sequence of protocol messages
      const message = reply.subarray(offset, offset + 1 + length);
      offset += 1 + length;
      if (message[0] !== NOTIFICATION) continue;
      const channelEnd = message.indexOf(0, 9);
      const channel = Buffer.from(message.buffer, message.byteOffset + 9, channelEnd - 9).toString('utf8');
      for (const [id, listener] of this.listeners) {
        if (id !== handlerId && listener.channels.has(channel)) listener.send(message.slice());
      }
    }
  }
}

/** The SQL of a simple query ('Q') or of a Parse ('P', after the statement name). */
function queryText(message: Uint8Array): string | undefined {
  if (message[0] !== QUERY && message[0] !== PARSE) return undefined;
  let start = 5;
  if (message[0] === PARSE) start = message.indexOf(0, start) + 1;
  const end = message.indexOf(0, start);
  if (start <= 0 || end < 0) return undefined;
  return Buffer.from(message.buffer, message.byteOffset + start, end - start).toString('utf8');
}
