import type { Request, RequestHandler, Response } from 'express';
import { HubError } from '../errors.js';
import type { CorsOrigins } from '../setting-kinds.js';

/** What a browser app may read of a retrieve, long-poll or stream answer beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = 'X-Crier-Seq, Link, Retry-After';
/** What it may send: EventSource's resume header, and the Accept and Cache-Control some clients set. */
const ALLOWED_HEADERS = 'Last-Event-ID, Accept, Cache-Control';
/** Seconds a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE = 600;

/** The Access-Control-Allow-Origin for `origin`: `*`, the origin itself when listed, or undefined. */
function allowOrigin(allowed: CorsOrigins, origin: string | undefined): string | undefined {
  if (allowed === undefined || origin === undefined) return undefined;
  if (allowed === '*') return '*';
  return allowed.includes(origin) ? origin : undefined;
}

/**
 * Lets a browser app of an allowed origin read this answer (HUB_CORS_ORIGINS).
 * Only the read endpoints call it, before anything can fail, so that their
 * error answers are readable too. Never credentials: the read endpoints take
 * none.
 */
export function allowReading(allowed: CorsOrigins, req: Request, res: Response): void {
  if (allowed === undefined) return;
  // The answer differs by Origin: a shared cache must not hand one origin's answer to another.
  if (allowed !== '*') res.vary('Origin');
  const origin = allowOrigin(allowed, req.get('origin'));
  if (origin === undefined) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
}

/**
 * `OPTIONS /?hub.mode=retrieve`: the preflight a browser sends before a read
 * with a header such as Last-Event-ID. An allowed origin asking for GET gets
 * 204 with what it may send; anything else is refused with 403 and a reason.
 * Not a preflight of a read (no Origin, another mode, CORS off): passed on,
 * to be answered as any other OPTIONS request.
 */
export function answerPreflight(allowed: CorsOrigins): RequestHandler {
  return (req, res, next) => {
    const mode = new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('hub.mode');
    const origin = req.get('origin');
    if (allowed === undefined || origin === undefined || mode !== 'retrieve') return next();
    if (allowed !== '*') res.vary('Origin');
    const allowedOrigin = allowOrigin(allowed, origin);
    if (allowedOrigin === undefined) {
      throw new HubError('HUB_ERR_CORS_REFUSED', `origin ${origin.slice(0, 200)} is not in HUB_CORS_ORIGINS`);
    }
    const method = req.get('access-control-request-method');
    if (method !== 'GET' && method !== 'HEAD') {
      throw new HubError('HUB_ERR_CORS_REFUSED', 'browser apps may only GET retrieve, long-poll and stream answers');
    }
    res
      .status(204)
      .setHeader('Access-Control-Allow-Origin', allowedOrigin)
      .setHeader('Access-Control-Allow-Methods', 'GET, HEAD')
      .setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE))
      .end();
  };
}
