import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { HubError } from '../errors.js';
import { freshSeconds, retryAfterSeconds } from './freshness.js';
import { REDIRECT_STATUSES, type ResponseHeaders } from './hop-guard.js';
import type { RateWatch, WatchedTransfer } from './rate-watch.js';

/** `freshSeconds`: how long the publisher says the response stays fresh (Cache-Control, Expires), if it says. */
export type TopicResponse =
  | { status: 304; url: string; freshSeconds?: number }
  | {
      status: number;
      url: string;
      body: Buffer;
      contentType: string | undefined;
      etag: string | null;
      lastModified: string | null;
      freshSeconds?: number;
    };

export interface TransferLimits {
  /** Largest body, counted after decoding (undici's own caps bound the raw and the per-stage sizes). */
  maxContentBytes: number;
  maxRedirects: number;
  /** The whole fetch, every hop included. */
  deadlineMs: number;
  minBytesPerSecond: number;
  rateWatch: RateWatch;
}

/** Repeated fields that join with commas; of any other field repeated, the first counts (as node:http reads them). */
const JOINED = new Set(['cache-control', 'pragma', 'vary', 'warning']);

/** `headers` as node:http would have parsed them: one string per field. */
function flatten(headers: ResponseHeaders): IncomingHttpHeaders {
  if (!Object.values(headers).some(Array.isArray)) return headers;
  const flat: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    flat[name] = Array.isArray(value) ? (JOINED.has(name) ? value.join(', ') : value[0]) : value;
  }
  return flat;
}

/**
 * One topic GET as an undici dispatch handler, beneath the decompression interceptor: it sees the
 * final hop's decoded body, keeps it under the size cap, has its rate judged by the rate watch, and
 * settles `done` with a TopicResponse or a HubError. A failure of the handler's own (a status, the cap)
 * is thrown from the callback, and undici aborts the request with it; a timer's is passed to abort().
 */
export class TopicTransfer implements Dispatcher.DispatchHandler, WatchedTransfer {
  received = 0;
  readonly done: Promise<TopicResponse>;
  private resolve!: (response: TopicResponse) => void;
  private reject!: (err: Error) => void;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private failure: Error | undefined;
  private history: URL[] | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly limits: TransferLimits,
  ) {
    this.done = new Promise<TopicResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const within = limits.deadlineMs;
    this.deadline = setTimeout(() => this.abort(this.failed(`not answered in full within ${within} ms`)), within);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: { history?: URL[] } | undefined): void {
    this.controller = controller;
    this.history = context?.history;
    // Abandoned while the hop was connecting: it ends here.
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, raw: ResponseHeaders): void {
    this.controller = controller;
    const headers = flatten(raw);
    const url = this.url;
    if (REDIRECT_STATUSES.has(statusCode) && headers.location !== undefined) {
      // The redirect interceptor hands a redirect on only when it has followed as many as it may.
      throw this.failed(`more than ${this.limits.maxRedirects} redirects`);
    }
    if (statusCode !== 304 && (statusCode < 200 || statusCode > 299)) {
      // RFC 9110 §10.2.3: on 429 and 503 the server may say when to come back.
      const retryAfter = statusCode === 429 || statusCode === 503 ? retryAfterSeconds(headers['retry-after']) : undefined;
      const details = { status: statusCode, retryAfter };
      throw new HubError('HUB_ERR_TOPIC_FETCH_STATUS', `GET ${url} answered ${statusCode}`, { details });
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.limits.maxContentBytes) {
      throw new HubError(
        'HUB_ERR_TOPIC_TOO_LARGE',
        `GET ${url} declares ${declared} bytes, over the ${this.limits.maxContentBytes} byte cap`,
      );
    }
    this.status = statusCode;
    this.headers = headers;
    if (statusCode !== 304) this.limits.rateWatch.watch(this);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.received += chunk.length;
    if (this.received > this.limits.maxContentBytes) throw this.tooLarge();
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.cleanUp();
    // The final hop's URL: undici's redirect interceptor records each hop as its answer arrives.
    const url = this.history?.at(-1)?.href ?? this.url;
    const headers = this.headers;
    if (this.status === 304) {
      this.resolve({ status: 304, url, freshSeconds: freshSeconds(headers) });
      return;
    }
    this.resolve({
      status: this.status,
      url,
      body: Buffer.concat(this.chunks, this.received),
      contentType: headers['content-type'],
      etag: headers.etag ?? null,
      lastModified: headers['last-modified'] ?? null,
      freshSeconds: freshSeconds(headers),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  tooSlow(sent: number, windowMs: number): void {
    const seconds = Math.round(windowMs / 100) / 10;
    const slow = `GET ${this.url} sent ${sent} bytes in ${seconds} s, slower than ${this.limits.minBytesPerSecond} bytes/s`;
    this.abort(new HubError('HUB_ERR_TOPIC_TOO_SLOW', slow));
  }

  private failed(why: string): HubError {
    return new HubError('HUB_ERR_TOPIC_FETCH_FAILED', `GET ${this.url} failed: ${why}`);
  }

  private tooLarge(): HubError {
    return new HubError('HUB_ERR_TOPIC_TOO_LARGE', `GET ${this.url} sent more than the ${this.limits.maxContentBytes} byte cap`);
  }

  /** Ends the transfer from outside undici's callbacks (a timer). */
  private abort(err: HubError): void {
    this.fail(err);
    this.controller?.abort(err);
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.cleanUp();
    this.failure = this.toHubError(err);
    this.reject(this.failure);
  }

  private cleanUp(): void {
    clearTimeout(this.deadline);
    this.limits.rateWatch.unwatch(this);
  }

  /** Every network, TLS, timeout, decoding and size failure as a HubError; anything else is a bug and stays as it is. */
  private toHubError(err: Error): Error {
    if (err instanceof HubError) return err;
    const cause = err as Error & { code?: unknown; cause?: unknown };
    // The guarded lookup's refusal, as undici hands it back from a connect.
    if (cause.cause instanceof HubError) return cause.cause;
    if (cause.code === 'EADDRBLOCKED') return new HubError('HUB_ERR_ADDRESS_BLOCKED', `GET ${this.url}: ${cause.message}`, { cause });
    // The raw body over the agent's cap, or a decoding stage's output over the decompressor's.
    if (cause.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return this.tooLarge();
    // undici, socket, DNS, TLS and zlib errors all carry a code; an error without one is ours.
    if (typeof cause.code !== 'string') return err;
    return new HubError('HUB_ERR_TOPIC_FETCH_FAILED', `GET ${this.url} failed: ${cause.code}: ${cause.message}`, { cause });
  }
}
