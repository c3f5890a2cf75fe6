import { Agent } from 'undici';
import { HubError } from '../errors.js';
import { urlForLog } from '../log.js';
import { assertUrlAllowed, lookupFor, type AddressPolicy } from './address-guard.js';
import { USER_AGENT } from './topic-fetcher.js';

export interface CallbackClientOptions extends AddressPolicy {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Keep-alive connections per callback origin. */
  originConnections: number;
}

export interface CallbackResponse {
  status: number;
  /** Response body for verification GETs (bounded); empty for content POSTs. */
  body: string;
}

export interface CallbackClient {
  /** Verification of intent (WebSub §5.3): GET, body read up to 64 KiB. */
  get(url: string): Promise<CallbackResponse>;
  /** Content distribution (WebSub §7): POST; redirects are not followed, the body is ignored. */
  post(url: string | URL, body: Buffer, headers: Record<string, string>): Promise<CallbackResponse>;
  close(): Promise<void>;
}

const MAX_VERIFY_BODY = 64 * 1024;

/** undici pools with keep-alive per origin: the delivery hot path (see the benchmarks in README.md). */
export function createCallbackClient(options: CallbackClientOptions): CallbackClient {
  const agent = new Agent({
    connections: options.originConnections,
    keepAliveTimeout: 30_000,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
    maxResponseSize: MAX_VERIFY_BODY,
    connect: { timeout: options.connectTimeoutMs, lookup: lookupFor(options) },
  });

  async function send(
    method: 'GET' | 'POST',
    url: string | URL,
    body: Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<CallbackResponse> {
    const target = assertUrlAllowed(url, options);
    try {
      // No AbortSignal per request (about 5% of the fan-out CPU profile, plus its GC):
      // connect timeout and headersTimeout bound the wait for the answer, and a timer bounds the body.
      const response = await agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method,
        headers: { 'user-agent': USER_AGENT, ...headers },
        body,
      });
      const status = response.statusCode;
      const wantText = method === 'GET' && status >= 200 && status < 300;
      if (!wantText && (status === 204 || response.headers['content-length'] === '0')) {
        await response.body.dump().catch(() => {});
        return { status, body: '' };
      }
      // A trickling peer cannot hold the body past the request timeout.
      const limit = options.requestTimeoutMs;
      const timer = setTimeout(() => response.body.destroy(new Error(`body not received within ${limit} ms`)), limit);
      try {
        if (wantText) return { status, body: await response.body.text() };
        await response.body.dump({ limit: MAX_VERIFY_BODY }).catch(() => {});
        return { status, body: '' };
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      const cause = err as Error & { code?: string };
      if (cause instanceof HubError) throw cause;
      const request = `${method} ${urlForLog(url)}`;
      if (cause.code === 'EADDRBLOCKED') throw new HubError('HUB_ERR_ADDRESS_BLOCKED', `${request}: ${cause.message}`, { cause });
      const code = method === 'GET' ? 'HUB_ERR_VERIFY_FAILED' : 'HUB_ERR_DELIVERY_FAILED';
      throw new HubError(code, `${request} failed: ${cause.code ?? cause.name}: ${cause.message}`, { cause });
    }
  }

  return {
    get: (url) => send('GET', url, undefined, {}),
    post: (url, body, headers) => send('POST', url, body, headers),
    close: () => agent.close(),
  };
}
