import { Agent, interceptors } from 'undici';
import { assertUrlAllowed, lookupFor, type AddressPolicy } from './address-guard.js';
import { hopGuard } from './hop-guard.js';
import { createRateWatch } from './rate-watch.js';
import { TopicTransfer, type TopicResponse, type TransferLimits } from './topic-transfer.js';

export type { TopicResponse };

export const USER_AGENT = 'Crier-WebSub-Hub/0.1 (+https://www.w3.org/TR/websub/)';

export interface TopicFetcherOptions extends AddressPolicy {
  maxContentBytes: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** A body arriving slower than this over any RATE_WINDOW_MS is abandoned. */
  fetchMinBytesPerSecond: number;
}

/** The span the transfer rate is judged over: long enough for a slow but honest server's bursts. */
export const RATE_WINDOW_MS = 5000;

export interface FetchValidators {
  etag?: string | null;
  lastModified?: string | null;
}

export interface TopicFetcher {
  /** Conditional GET of a topic; resolves for 2xx and 304, throws a HubError otherwise. */
  fetchTopic(url: string, validators?: FetchValidators): Promise<TopicResponse>;
  close(): void;
}

/** Redirects followed per fetch; the next one fails the fetch (HUB_ERR_TOPIC_FETCH_FAILED). */
export const MAX_REDIRECTS = 5;

const ACCEPT = 'application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8';

/**
 * Topic GETs (WebSub §6, H18 in docs/websub-requirements.md) on undici, the hot fetch path: one pooled
 * agent whose connects go through the guarded lookup, composed with the hop guard (every redirect's
 * target re-checked, H27), undici's redirect interceptor and its decompression interceptor
 * (gzip/deflate/br, the decoded size capped at every stage). Conditional requests; the size cap,
 * the minimum transfer rate and a deadline for the whole fetch are held by the TopicTransfer.
 */
export function createTopicFetcher(options: TopicFetcherOptions): TopicFetcher {
  const agent = new Agent({
    connections: 64,
    keepAliveTimeout: 30_000,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
    // The raw body: a compressed stream that decodes to little still ends here.
    maxResponseSize: options.maxContentBytes,
    connect: { timeout: options.connectTimeoutMs, lookup: lookupFor(options) },
  });
  const dispatcher = agent.compose(
    hopGuard(options),
    interceptors.redirect({ maxRedirections: MAX_REDIRECTS }),
    quietly(() => interceptors.decompress({ maxSize: options.maxContentBytes })),
  );
  const limits: TransferLimits = {
    maxContentBytes: options.maxContentBytes,
    maxRedirects: MAX_REDIRECTS,
    // As got's request timeout was: three times the wait for headers.
    deadlineMs: options.requestTimeoutMs * 3,
    minBytesPerSecond: options.fetchMinBytesPerSecond,
    rateWatch: createRateWatch(RATE_WINDOW_MS, options.fetchMinBytesPerSecond),
  };

  async function fetchTopic(url: string, validators: FetchValidators = {}): Promise<TopicResponse> {
    const target = assertUrlAllowed(url, options);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: ACCEPT, 'accept-encoding': 'gzip, deflate, br' };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    const transfer = new TopicTransfer(url, limits);
    dispatcher.dispatch({ origin: target.origin, path: target.pathname + target.search, method: 'GET', headers }, transfer);
    return transfer.done;
  }

  return {
    fetchTopic,
    close() {
      void agent.destroy();
    },
  };
}

/** undici announces its decompression interceptor as experimental with a process warning: operators can do nothing with it. */
function quietly<T>(create: () => T): T {
  // Put back as it was, never called detached.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return create();
  } finally {
    process.emitWarning = emitWarning;
  }
}
