import express, { type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { HubError } from '../errors.js';
import { mountAdmin } from './admin-app.js';
import { allowReading, answerPreflight } from './cors.js';
import { errorMiddleware } from './error-middleware.js';
import { inertResponses } from './read-headers.js';
import { trustProxy } from './trust-proxy.js';
import { parseHubRequest } from './params.js';
import { createPublisher } from './publish.js';
import { replay } from './replay.js';
import { retrieve } from './retrieve.js';
import { longPoll } from './long-poll.js';
import { eventStream } from './event-stream.js';
import type { Readers } from './readers.js';
import type { RenderedUpdates } from './rendered-updates.js';
import type { UpdateHub } from '../updates/index.js';
import { parseRetrieveRequest } from './retrieve-params.js';
import { enforceRateLimit } from './rate-limit.js';
import { createAuthThrottle } from './auth-throttle.js';
import { requestSubscription } from './subscribe.js';
import { createVerifier } from '../verification/index.js';
import { metricsRoute, type RequestMode } from '../metrics/index.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** What the front needs to hold event streams and long-polls. */
export interface LiveReaders {
  updates: UpdateHub;
  readers: Readers;
  /** What each update renders to, shared by retrieve, long-poll and streams. */
  rendered: RenderedUpdates;
}

/** Builds the HTTP front; never listens (server.ts does). */
export function createApp(deps: Deps, health: () => Promise<boolean>, live: LiveReaders): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(inertResponses());
  app.set('trust proxy', trustProxy(deps.config));

  app.get('/healthz', async (_req, res) => {
    const ok = await health().catch(() => false);
    res
      .status(ok ? 200 : 503)
      .type('text/plain')
      .send(ok ? 'ok\n' : 'unavailable\n');
  });

  // Counted once answered (a stream: once it ends), by the mode parsed or as invalid; both label sets are closed.
  const countRequest = (res: Response) =>
    res.once('close', () =>
      deps.metrics.requests.inc({ mode: (res.locals.hubMode as RequestMode | undefined) ?? 'invalid', status: res.statusCode }),
    );

  app.get('/', async (req, res) => {
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    const mode = query.get('hub.mode');
    if (mode !== null) countRequest(res);
    if (mode === 'retrieve') {
      res.locals.hubMode = 'retrieve';
      allowReading(deps.config.corsOrigins, req, res);
    }
    if (mode === null) {
      res.setHeader('Link', `<${deps.config.publicUrl}>; rel="hub"`);
      res
        .type('text/plain')
        .send('Crier WebSub hub. POST hub.mode=subscribe|unsubscribe|publish here; GET hub.mode=retrieve reads a topic.\n');
      return;
    }
    if (mode !== 'retrieve') throw new HubError('HUB_ERR_PARAM_MODE_UNKNOWN', `hub.mode "${mode.slice(0, 40)}" is not retrieve`);
    const request = parseRetrieveRequest(query, { accept: req.get('accept'), lastEventId: req.get('last-event-id') });
    await enforceRateLimit(deps, req.ip ?? 'unknown', undefined);
    if (request.wait === 'poll') await longPoll(deps, live, req, res, request);
    else if (request.wait === 'stream') await eventStream(deps, live, req, res, request);
    else await retrieve(deps, live.rendered, res, request);
  });

  // Browser apps' preflights of the read endpoints (HUB_CORS_ORIGINS); nothing else of the hub answers them.
  app.options('/', answerPreflight(deps.config.corsOrigins));

  app.get('/metrics', metricsRoute(deps, createAuthThrottle(deps, 'metrics')));

  app.post(
    '/',
    (_req, res, next) => {
      countRequest(res);
      next();
    },
    (req, _res, next) => next(req.is(FORM_TYPE) ? undefined : new HubError('HUB_ERR_REQUEST_CONTENT_TYPE')),
    express.raw({ type: FORM_TYPE, limit: deps.config.maxRequestBytes }),
    answerHubPost(deps, createPublisher(deps), createVerifier(deps)),
  );

  // With HUB_ADMIN_PORT the console and API live on their own listener (admin-app.ts), and /admin here is a 404.
  if (deps.config.adminPort === undefined) mountAdmin(app, deps);
  app.use((req, _res, next) => next(new HubError(req.method === 'GET' ? 'HUB_ERR_NOT_FOUND' : 'HUB_ERR_METHOD')));
  app.use(errorMiddleware(deps.log));
  return app;
}

/**
 * `POST /` once its form is read: publish, replay, or subscribe/unsubscribe. `verifier` verifies
 * PubSubHubbub 0.3's hub.verify=sync inside the request.
 */
function answerHubPost(deps: Deps, publish: ReturnType<typeof createPublisher>, verifier: ReturnType<typeof createVerifier>) {
  return async (req: Request, res: Response) => {
    const request = parseHubRequest(readForm(req.body), deps.config);
    res.locals.hubMode = request.mode;
    await enforceRateLimit(deps, req.ip ?? 'unknown', request.mode === 'publish' ? undefined : request.callback);
    if (request.mode === 'publish') {
      await publish(request.urls);
      res.status(204).end();
      return;
    }
    if (request.mode === 'replay') {
      // The raw body: a replay's X-Hub-Signature covers its exact bytes.
      const queued = await replay(deps, request, { body: req.body as Buffer, signature: req.get('x-hub-signature') });
      res
        .status(202)
        .type('text/plain')
        .send(`accepted; ${queued} notification${queued === 1 ? '' : 's'} queued for redelivery\n`);
      return;
    }
    const answer = await requestSubscription(deps, request, verifier.now);
    if (answer === 'verified') res.status(204).end();
    else res.status(202).type('text/plain').send('accepted; verification of intent will follow\n');
  };
}

/** The body as form fields; it must be UTF-8 (WebSub §5.1, H1). */
function readForm(body: unknown): URLSearchParams {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HubError('HUB_ERR_PARAM_ENCODING');
  }
  assertHubFieldsDecode(text);
  return new URLSearchParams(text);
}

/**
 * URLSearchParams turns bad percent-escapes into U+FFFD silently; a hub.*
 * value must be real UTF-8, while fields we ignore (H4) may hold anything.
 */
function assertHubFieldsDecode(text: string): void {
  for (const pair of text.split('&')) {
    if (!pair.startsWith('hub.') && !pair.startsWith('hub%2E') && !pair.startsWith('hub%2e')) continue;
    try {
      decodeURIComponent(pair.replace(/\+/g, ' '));
    } catch {
      throw new HubError('HUB_ERR_PARAM_ENCODING', 'a hub.* parameter is not valid percent-encoded UTF-8');
    }
  }
}
