const NOTIFICATION = 'A'.charCodeAt(0);
const COMMAND_COMPLETE = 'C'.charCodeAt(0);
const READY_FOR_QUERY = 'Z'.charCodeAt(0);
const IDLE = 'I'.charCodeAt(0);
const QUERY = 'Q'.charCodeAt(0);
const PARSE = 'P'.charCodeAt(0);

/** A LISTEN or UNLISTEN a connection sent; `*` for UNLISTEN *. */
interface Command {
  listen: boolean;
  channel: string;
}

interface Connection {
  /** Channels its committed LISTENs hold. */
  channels: Set<string>;
  send: (data: Uint8Array) => void;
  /** Commands read from its SQL, not yet run by the server. */
  sent: Command[];
  /** Commands the server ran inside the open transaction: they count at COMMIT. */
  staged: Command[];
}

/**
 * LISTEN and NOTIFY across connections. PGlite is one session: it hears every
 * connection's LISTEN, and a notification comes out in the reply of whichever
 * connection's batch ran when it was delivered. So the router keeps, per
 * connection, the channels it listens on as a PostgreSQL session would: a
 * LISTEN counts once the server ran it (its CommandComplete says LISTEN) and
 * its transaction committed; text that only looks like one (in a comment or a
 * string literal) never counts, since no CommandComplete answers it. Each
 * notification is then taken out of replies whose connection does not listen
 * on its channel and sent to the other connections that do (BullMQ's idle
 * workers block on LISTEN rather than polling). Sent between batches, so it
 * never splits another reply.
 */
export class NotificationRouter {
  private readonly connections = new Map<number, Connection>();

  /** Notes the LISTEN and UNLISTEN commands of a simple query or a Parse message, before it runs. */
  noteQuery(handlerId: number, message: Uint8Array, send: (data: Uint8Array) => void): void {
    const sql = queryText(message);
    if (!sql || !/listen/i.test(sql)) return;
    const conn = this.connection(handlerId, send);
    for (const [, un, quote, name] of withoutCommentsAndLiterals(sql).matchAll(/\b(UN)?LISTEN\s+("?)([\w$*]+)\2/gi)) {
      conn.sent.push({ listen: !un, channel: quote ? name : name.toLowerCase() });
    }
  }

  forget(handlerId: number): void {
    this.connections.delete(handlerId);
  }

  /**
   * Reads the reply to `handlerId`'s batch: applies the LISTENs it confirms,
   * sends each notification in it to the other connections listening on its
   * channel, and returns the reply without the notifications this connection
   * did not ask for.
   */
  route(handlerId: number, reply: Uint8Array): Uint8Array {
    const conn = this.connections.get(handlerId);
    if (!conn?.sent.length && !conn?.staged.length && !reply.includes(NOTIFICATION)) return reply;
    const kept: Uint8Array[] = [];
    let dropped = false;
    for (const message of messages(reply)) {
      const type = message[0];
      if (type === COMMAND_COMPLETE && conn) this.noteCompletion(conn, cString(message, 5));
      else if (type === READY_FOR_QUERY && conn && message[5] === IDLE) {
        // Out of any transaction: what ran outside one (or was committed) counts; nothing else is pending.
        apply(conn, conn.staged);
        conn.staged = [];
        conn.sent = [];
      } else if (type === NOTIFICATION) {
        const channel = cString(message, 9);
        for (const [id, other] of this.connections) {
          if (id !== handlerId && other.channels.has(channel)) other.send(message.slice());
        }
        if (!conn?.channels.has(channel)) {
          dropped = true;
          continue;
        }
      }
      kept.push(message);
    }
    return dropped ? Buffer.concat(kept) : reply;
  }

  private noteCompletion(conn: Connection, tag: string): void {
    if (tag === 'LISTEN' || tag === 'UNLISTEN') {
      const listen = tag === 'LISTEN';
      const index = conn.sent.findIndex((c) => c.listen === listen);
      if (index !== -1) conn.staged.push(...conn.sent.splice(index, 1));
    } else if (tag === 'ROLLBACK') {
      conn.staged = [];
    }
  }

  private connection(handlerId: number, send: (data: Uint8Array) => void): Connection {
    let conn = this.connections.get(handlerId);
    if (!conn) this.connections.set(handlerId, (conn = { channels: new Set(), send, sent: [], staged: [] }));
    conn.send = send;
    return conn;
  }
}

function apply(conn: Connection, commands: Command[]): void {
  for (const { listen, channel } of commands) {
    if (listen) conn.channels.add(channel);
    else if (channel === '*') conn.channels.clear();
    else conn.channels.delete(channel);
  }
}

/** The protocol messages of a reply (type byte, then a length that counts itself). */
function* messages(reply: Uint8Array): Generator<Uint8Array> {
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  for (let offset = 0; offset + 5 <= reply.length;) {
    const length = view.getInt32(offset + 1);
    if (length < 4) return; // not a sequence of protocol messages
    yield reply.subarray(offset, offset + 1 + length);
    offset += 1 + length;
  }
}

function cString(message: Uint8Array, start: number): string {
  const end = message.indexOf(0, start);
  return Buffer.from(message.buffer, message.byteOffset + start, (end === -1 ? message.length : end) - start).toString('utf8');
}

/** SQL with comments, string literals and dollar-quoted bodies blanked, so what looks like a LISTEN in them is not read as one. */
function withoutCommentsAndLiterals(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\/|--[^\n]*|'(?:[^']|'')*'|\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g, ' ');
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
