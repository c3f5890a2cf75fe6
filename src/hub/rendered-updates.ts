import type { LogEntry } from '../db/index.js';
import { parseLoggedBody, parsedWeight, renderParsedHistory, type HistoryDocument, type ParsedBody } from '../feeds/index.js';
import { MAX_COUNT } from './retrieve-params.js';

/** Hands the event loop back, so a request waiting behind a long render (a probe of /healthz) is answered. */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Least-recently-used values under a total weight; a value heavier than the whole budget is not kept. */
class WeightedLru<V> {
  readonly #map = new Map<string, { value: V; weight: number }>();
  #total = 0;

  constructor(private readonly maxWeight: number) {}

  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, weight: number): void {
    if (weight > this.maxWeight || this.#map.has(key)) return;
    this.#map.set(key, { value, weight });
    this.#total += weight;
    for (const [oldest, { weight: w }] of this.#map) {
      if (this.#total <= this.maxWeight) break;
      this.#map.delete(oldest);
      this.#total -= w;
    }
  }
}

/** The `data:` lines of an event: every line of the payload gets its own (the client joins them with newlines). */
function dataLines(payload: string): string {
  return payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n');
}

/**
 * What the front sends for each update of the log, kept per web process by
 * notification id: a notification's body never changes, so its parse and its
 * server-sent event are made once and shared by every retrieve, long-poll and
 * stream that sends it, whatever the backend. Parses run in slices that hand
 * the event loop back, and at most one per update is in flight. Each cache
 * holds at most `budgetBytes` (a few answers' worth), the least recently used
 * going first.
 */
export class RenderedUpdates {
  readonly #parses: WeightedLru<ParsedBody>;
  readonly #events: WeightedLru<Buffer>;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(budgetBytes: number) {
    this.#parses = new WeightedLru(budgetBytes);
    this.#events = new WeightedLru(budgetBytes);
  }

  /** The kept value of `key`, or `make`'s, made once however many callers ask meanwhile. */
  async #once<V>(cache: WeightedLru<V>, key: string, make: () => Promise<V>, weigh: (v: V) => number): Promise<V> {
    const kept = cache.get(key);
    if (kept !== undefined) return kept;
    let pending = this.#inFlight.get(key) as Promise<V> | undefined;
    if (!pending) {
      pending = make().then((value) => {
        cache.set(key, value, weigh(value));
        return value;
      });
      pending.finally(() => this.#inFlight.delete(key)).catch(() => undefined);
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  #parse(entry: LogEntry): Promise<ParsedBody> {
    return this.#once(this.#parses, `parse:${entry.seq}`, () => parseLoggedBody(entry), parsedWeight);
  }

  /** `entries` (newest first) as one retrieve document of `count` entries: each body parsed once, the loop handed back between. */
  async document(entries: LogEntry[], count: number, format: 'feed' | 'json', topicUrl: string): Promise<HistoryDocument> {
    const parsed: ParsedBody[] = [];
    for (const entry of entries) parsed.push(await this.#parse(entry));
    await yieldToLoop();
    return renderParsedHistory(entries, parsed, count, format, topicUrl);
  }

  /**
   * One update as a server-sent event (`id:` its sequence id, `event:
   * notification`, JSON data), as the bytes every stream writes. `load` reads
   * the update with its body, and runs only when the event is neither kept nor
   * being made: streams resuming together read each body once. Undefined when
   * the update is gone from the log.
   */
  event(seq: number, format: 'feed' | 'json', load: () => Promise<LogEntry | undefined>): Promise<Buffer | undefined> {
    return this.#once<Buffer | undefined>(
      this.#events,
      `${format}:${seq}`,
      async () => {
        const entry = await load();
        return entry && this.#makeEvent(entry, format);
      },
      (bytes) => bytes?.length ?? 0,
    );
  }

  async #makeEvent(entry: LogEntry, format: 'feed' | 'json'): Promise<Buffer> {
    let payload: string;
    if (format === 'json') {
      const parsed = await this.#parse(entry);
      await yieldToLoop();
      payload = renderParsedHistory([entry], [parsed], MAX_COUNT, 'json', entry.topicUrl).body.toString('utf8');
    } else {
      payload = JSON.stringify({
        seq: entry.seq,
        topic: entry.topicUrl,
        contentType: entry.contentType,
        newEntries: entry.newEntries,
        updatedEntries: entry.updatedEntries,
        body: entry.body.toString('utf8'),
      });
    }
    await yieldToLoop();
    return Buffer.from(`id: ${entry.seq}\nevent: notification\n${dataLines(payload)}\n\n`, 'utf8');
  }
}
