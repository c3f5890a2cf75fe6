import pg from 'pg';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import { errorEventLogger } from '../error-events.js';
import type { Logger } from '../log.js';
import { mergeRequests } from '../merged-requests.js';

/** What a worker tells web processes when it stored a notification: its sequence id and topic. */
export interface UpdateSignal {
  seq: number;
  topicId: number;
}

/** The worker's side: says a notification was stored. Never throws; a lost signal costs latency, not an update. */
export interface Announcer {
  announce(signal: UpdateSignal): Promise<void>;
  close(): Promise<void>;
}

/** The web side: hears signals; `onResync` runs after a (re)connection, when signals may have been missed. */
export interface WakeSource {
  /** Settles once the first connection listens (or failed once: it keeps retrying). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface WakeHandlers {
  onSignal(signal: UpdateSignal): void;
  onResync(): void;
}

const RECONNECT_MS = 1000;

/** PostgreSQL channel (an identifier) or Redis channel of a hub's update signals: the queue prefix keeps hubs apart. */
export function updatesChannel(config: Config): string {
  return config.redisUrl ? `${config.queuePrefix}:updates` : `${config.queuePrefix}_updates`;
}

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; Redis takes any, but one size keeps the two alike. */
const MAX_PAYLOAD = 7900;

/** Signals as `seq:topic` joined by commas, in as few payloads as fit. */
export function encodeSignals(signals: UpdateSignal[]): string[] {
  const payloads: string[] = [];
  let current = '';
  for (const { seq, topicId } of signals) {
    const one = `${seq}:${topicId}`;
    if (current && current.length + 1 + one.length > MAX_PAYLOAD) {
      payloads.push(current);
      current = '';
    }
    current = current ? `${current},${one}` : one;
  }
  if (current) payloads.push(current);
  return payloads;
}

/** Longest `seq:topic` pair read: two 15-digit ids and the colon; anything longer is not ours. */
const MAX_PAIR = 31;

/** A payload's signals; anything malformed in it (or over MAX_PAIR long) is skipped. */
export function decodeSignals(payload: string): UpdateSignal[] {
  const signals: UpdateSignal[] = [];
  for (const part of payload.split(',')) {
    const m = part.length <= MAX_PAIR ? /^(\d+):(\d+)$/.exec(part) : null;
    if (m) signals.push({ seq: Number(m[1]), topicId: Number(m[2]) });
  }
  return signals;
}

/**
 * Collects the signals of one turn of the event loop and sends them together:
 * a busy worker stores many notifications at once (one batched statement), and
 * one publish per notification cost it a round trip each.
 */
function batchedAnnouncer(
  send: (payload: string) => Promise<unknown>,
  warn: (err: unknown) => void,
  close: () => Promise<void>,
): Announcer {
  const announce = mergeRequests(async (signals: readonly UpdateSignal[]) => {
    await Promise.all(encodeSignals([...signals]).map((payload) => send(payload).catch(warn)));
    return signals.map(() => undefined);
  });
  return {
    announce,
    // Signals announced just before closing still go out.
    close: () => announce.drain().then(close),
  };
}

/** Redis pub/sub when REDIS_URL is set, else PostgreSQL NOTIFY (PGlite included: db/embedded/link.ts routes it). */
export function createAnnouncer(config: Config, db: Database, log: Logger): Announcer {
  const channel = updatesChannel(config);
  const warn = errorEventLogger(log, 'update announcer');
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', warn);
    return batchedAnnouncer(
      (payload) => redis.publish(channel, payload),
      warn,
      () =>
        redis.quit().then(
          () => undefined,
          () => redis.disconnect(),
        ),
    );
  }
  return batchedAnnouncer(
    (payload) => db.pool.query('select pg_notify($1, $2)', [channel, payload]),
    warn,
    () => Promise.resolve(),
  );
}

/** Listens for update signals on one connection of its own, reconnecting until closed. */
export function listenForUpdates(config: Config, db: Database, log: Logger, handlers: WakeHandlers): WakeSource {
  const channel = updatesChannel(config);
  const warn = errorEventLogger(log, 'update listener');
  const onMessage = (payload: string | undefined) => {
    if (payload !== undefined) for (const signal of decodeSignals(payload)) handlers.onSignal(signal);
  };
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', warn);
    redis.on('message', (_channel: string, message: string) => onMessage(message));
    // ioredis subscribes again after a reconnection; whatever was published meanwhile is read from the log.
    let connectedBefore = false;
    redis.on('ready', () => {
      if (connectedBefore) handlers.onResync();
      connectedBefore = true;
    });
    const ready = redis.subscribe(channel).then(
      () => undefined,
      (err) => warn(err),
    );
    return {
      ready,
      close: () =>
        redis.quit().then(
          () => undefined,
          () => redis.disconnect(),
        ),
    };
  }
  let closed = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let connectedBefore = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client(db.clientConfig);
    client = c;
    const retry = (err?: unknown) => {
      if (err) warn(err);
      c.removeAllListeners();
      c.on('error', () => undefined);
      c.end().catch(() => undefined);
      if (client === c) client = undefined;
      if (!closed) timer = setTimeout(() => void connect(), RECONNECT_MS);
    };
    c.on('error', retry);
    c.on('notification', (msg) => onMessage(msg.payload));
    try {
      await c.connect();
      await c.query(`listen "${channel}"`);
    } catch (err) {
      retry(err);
      return;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    c.on('end', () => retry());
    if (connectedBefore) handlers.onResync();
    connectedBefore = true;
  };
  const ready = connect();
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
