import got, { RequestError, type Got } from 'got';
import http from 'node:http';
import https from 'node:https';
import { HubError } from '../../src/errors.js';
import { assertUrlAllowed, lookupFor } from '../../src/net/address-guard.js';
import { freshSeconds, retryAfterSeconds } from '../../src/net/freshness.js';
import {
  RATE_WINDOW_MS,
  USER_AGENT,
  type FetchValidators,
  type TopicFetcher,
  type TopicFetcherOptions,
  type TopicResponse,
} from '../../src/net/topic-fetcher.js';

/**
 * The topic fetcher as it was on got, up to issue 23 (src/net/topic-fetcher.ts is its undici successor),
 * kept here only so that bench/fetch.ts measures the old path against the new in the same run.
 */
export function createGotTopicFetcher(options: TopicFetcherOptions): TopicFetcher {
  const agent = {
    http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };
  const client: Got = got.extend({
    agent,
    dnsLookup: lookupFor(options) as never,
    followRedirect: true,
    maxRedirects: 5,
    decompress: true,
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: {
      lookup: options.connectTimeoutMs,
      connect: options.connectTimeoutMs,
      response: options.requestTimeoutMs,
      request: options.requestTimeoutMs * 3,
    },
    hooks: {
      beforeRedirect: [(next) => void assertUrlAllowed(next.url as URL, options)],
    },
  });

  async function fetchTopic(url: string, validators: FetchValidators = {}): Promise<TopicResponse> {
    assertUrlAllowed(url, options);
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: 'application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8',
    };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    const stream = client.stream(url, { headers });
    try {
      const response = await new Promise<import('got').Response>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
      const finalUrl = response.url;
      if (response.statusCode === 304) {
        stream.destroy();
        return { status: 304, url: finalUrl, freshSeconds: freshSeconds(response.headers) };
      }
      if (response.statusCode < 200 || response.statusCode > 299) {
        stream.destroy();
        const status = response.statusCode;
        // RFC 9110 §10.2.3: on 429 and 503 the server may say when to come back.
        const retryAfter = status === 429 || status === 503 ? retryAfterSeconds(response.headers['retry-after']) : undefined;
        throw new HubError('HUB_ERR_TOPIC_FETCH_STATUS', `GET ${url} answered ${status}`, { details: { status, retryAfter } });
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxContentBytes) {
        stream.destroy();
        const over = `GET ${url} declares ${declared} bytes, over the ${options.maxContentBytes} byte cap`;
        throw new HubError('HUB_ERR_TOPIC_TOO_LARGE', over);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      // A trickle would hold a fetch slot for the whole request timeout: judge the rate every window.
      const floor = (options.fetchMinBytesPerSecond * RATE_WINDOW_MS) / 1000;
      let sizeAtWindowStart = 0;
      const watchdog = setInterval(() => {
        const sent = size - sizeAtWindowStart;
        if (sent < floor) {
          const slow = `GET ${url} sent ${sent} bytes in ${RATE_WINDOW_MS / 1000} s, slower than ${options.fetchMinBytesPerSecond} bytes/s`;
          stream.destroy(new HubError('HUB_ERR_TOPIC_TOO_SLOW', slow));
        }
        sizeAtWindowStart = size;
      }, RATE_WINDOW_MS);
      try {
        for await (const chunk of stream) {
          size += (chunk as Buffer).length;
          if (size > options.maxContentBytes) {
            stream.destroy();
            throw new HubError('HUB_ERR_TOPIC_TOO_LARGE', `GET ${url} sent more than the ${options.maxContentBytes} byte cap`);
          }
          chunks.push(chunk as Buffer);
        }
      } finally {
        clearInterval(watchdog);
      }
      return {
        status: response.statusCode,
        url: finalUrl,
        body: Buffer.concat(chunks, size),
        contentType: response.headers['content-type'],
        etag: response.headers.etag ?? null,
        lastModified: response.headers['last-modified'] ?? null,
        freshSeconds: freshSeconds(response.headers),
      };
    } catch (err) {
      stream.destroy();
      if (err instanceof HubError) throw err;
      const cause = err as Error & { code?: string; cause?: unknown };
      if (cause.cause instanceof HubError) throw cause.cause;
      if (cause.code === 'EADDRBLOCKED') throw new HubError('HUB_ERR_ADDRESS_BLOCKED', `GET ${url}: ${cause.message}`, { cause });
      // got reports every network, TLS, timeout and HTTP failure as a RequestError: anything else is a bug here.
      if (!(err instanceof RequestError)) throw err;
      throw new HubError('HUB_ERR_TOPIC_FETCH_FAILED', `GET ${url} failed: ${cause.message}`, { cause });
    }
  }

  return {
    fetchTopic,
    close() {
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}
