import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../log.js';
import { HubError } from '../errors.js';

/** Body-parser failures carry a status and a type; map them to our codes. */
function fromParserError(err: { type?: string; status?: number }): HubError | undefined {
  if (err.type === 'entity.too.large') return new HubError('HUB_ERR_REQUEST_TOO_LARGE');
  if (err.type === 'request.aborted' || err.type === 'request.size.invalid')
    return new HubError('HUB_ERR_PARAM_ENCODING', 'request body was truncated');
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported')
    return new HubError('HUB_ERR_REQUEST_CONTENT_TYPE', 'unsupported charset or content encoding');
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500)
    return new HubError('HUB_ERR_PARAM_ENCODING', 'request body could not be read');
  return undefined;
}

/**
 * Last in the chain: HubError -> its status and a one-line text reason (H9); anything else -> 500, logged.
 * An error after the response began cannot change its status: it is logged and the connection cut, so the
 * client sees a truncated answer rather than one that looks complete.
 */
export function errorMiddleware(log: Logger): ErrorRequestHandler {
  // Express tells an error handler by its four parameters: `next` must be declared.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  return (err: unknown, req, res, _next) => {
    const hubErr = err instanceof HubError ? err : fromParserError(err ?? {});
    if (res.headersSent) {
      log.error({ module: 'http', err, method: req.method, path: req.path }, 'request failed after the response began; connection closed');
      res.destroy();
      return;
    }
    if (hubErr) {
      if (typeof hubErr.details?.retryAfter === 'number') res.setHeader('Retry-After', String(hubErr.details.retryAfter));
      res.status(hubErr.statusCode).type('text/plain').send(`${hubErr.message}\n`);
      return;
    }
    log.error({ module: 'http', err, method: req.method, path: req.path }, 'request failed');
    res.status(500).type('text/plain').send('internal error\n');
  };
}
