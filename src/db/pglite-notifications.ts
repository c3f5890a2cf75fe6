const NOTIFICATION = 'A'.charCodeAt(0);

/**
 * NOTIFY across connections. The single session hears every LISTEN, so a
 * notification comes out in the reply of whichever connection committed the
 * NOTIFY; here it goes to the connections that asked for the channel instead
 * (BullMQ's workers block on LISTEN bullmq_jobs rather than polling).
 * Forwarded between batches, so it never splits another reply.
 */
export class NotificationRouter {
  private readonly listeners = new Map<number, { channels: Set<string>; send: (data: Uint8Array) => void }>();

  noteListens(handlerId: number, query: Uint8Array, send: (data: Uint8Array) => void): void {
    const sql = Buffer.from(query.buffer, query.byteOffset + 5, Math.max(0, query.byteLength - 6)).toString('utf8').replace(/--[^\n]*/g, ' ');
    for (const [, un, quote, name] of sql.matchAll(/\b(UN)?LISTEN\s+("?)([\w$*]+)\2/gi)) {
      const channel = quote ? name : name.toLowerCase();
      const entry = this.listeners.get(handlerId) ?? { channels: new Set<string>(), send };
      if (un) {
        if (channel === '*') entry.channels.clear();
        else entry.channels.delete(channel);
      } else entry.channels.add(channel);
      entry.send = send;
      this.listeners.set(handlerId, entry);
    }
  }

  forget(handlerId: number): void {
    this.listeners.delete(handlerId);
  }

  /** `reply` without the notifications its connection did not ask for; those go to their listeners. */
  route(handlerId: number, reply: Uint8Array): Uint8Array {
    if (this.listeners.size === 0 || !reply.includes(NOTIFICATION)) return reply;
    const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    const kept: Uint8Array[] = [];
    let changed = false;
    for (let offset = 0; offset + 5 <= reply.length; ) {
      const length = view.getInt32(offset + 1);
      if (length < 4) return reply; // not a sequence of messages (an SSL answer): leave it alone
      const end = offset + 1 + length;
      const message = reply.subarray(offset, end);
      offset = end;
      if (message[0] !== NOTIFICATION) {
        kept.push(message);
        continue;
      }
      const channelEnd = message.indexOf(0, 9);
      const channel = Buffer.from(message.buffer, message.byteOffset + 9, channelEnd - 9).toString('utf8');
      for (const [id, listener] of this.listeners) {
        if (id === handlerId || !listener.channels.has(channel)) continue;
        try {
          listener.send(message);
        } catch {
          this.listeners.delete(id); // its socket is gone
        }
      }
      if (this.listeners.get(handlerId)?.channels.has(channel)) kept.push(message);
      else changed = true;
    }
    return changed ? Buffer.concat(kept) : reply;
  }
}

