import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Request, Response, NextFunction } from 'express';
import type { Config } from '../config.js';
import { HubError } from '../errors.js';
import type { AuthThrottle } from '../hub/auth-throttle.js';
import { startServer, type RunningServer } from '../hub/server.js';
import type { Logger } from '../log.js';
import type { Metrics } from './registry.js';

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (net.isIPv4(v4)) return loopback.check(v4, 'ipv4');
  return net.isIPv6(address) && loopback.check(address, 'ipv6');
}

function sameToken(given: string, expected: string): boolean {
  // Digests of equal length, so neither the token's length nor its content leaks through timing.
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * Who may scrape: with HUB_METRICS_TOKEN, whoever sends it as a bearer token
 * (from anywhere; wrong ones are throttled per client); without it, loopback clients only, so a hub on a public
 * address never shows its numbers to strangers by default. `client` is the
 * address as the front sees it (behind HUB_TRUST_PROXY, the proxied client's).
 */
export async function checkScraper(
  config: Pick<Config, 'metricsToken'>,
  throttle: AuthThrottle,
  authorization: string | undefined,
  client: string | undefined,
): Promise<void> {
  const token = config.metricsToken;
  if (!token) {
    if (!isLoopback(client)) throw new HubError('HUB_ERR_METRICS_FORBIDDEN');
    return;
  }
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (given === undefined || !(await throttle.attempt(client, () => sameToken(given, token)))) throw new HubError('HUB_ERR_UNAUTHORIZED');
}

/** GET /metrics on the front (Express); errors go to the front's error middleware. */
export function metricsRoute(deps: { config: Pick<Config, 'metricsToken'>; metrics: Metrics }, throttle: AuthThrottle) {
  const { config, metrics } = deps;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      await checkScraper(config, throttle, req.get('authorization'), req.ip);
    } catch (err) {
      if ((err as HubError).code === 'HUB_ERR_UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer realm="crier-metrics"');
      return next(err);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.contentType).send(await metrics.text());
  };
}

export type MetricsServer = RunningServer;

/**
 * A listener that serves only GET /metrics, for a process without an HTTP
 * front (HUB_ROLE=worker) or one that wants scrapes on a port of their own.
 */
export async function startMetricsServer(
  config: Config,
  metrics: Metrics,
  log: Logger,
  port: number,
  throttle: AuthThrottle,
): Promise<MetricsServer> {
  return startServer(
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
        res.end(body);
      };
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') return reply(404, 'not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n', { allow: 'GET' });
      checkScraper(config, throttle, req.headers.authorization, req.socket.remoteAddress)
        .then(
          async () => reply(200, await metrics.text(), { 'content-type': metrics.contentType, 'cache-control': 'no-store' }),
          (err: unknown) => {
            if (!(err instanceof HubError)) throw err;
            const headers: Record<string, string> = {};
            if (err.code === 'HUB_ERR_UNAUTHORIZED') headers['www-authenticate'] = 'Bearer realm="crier-metrics"';
            if (typeof err.details?.retryAfter === 'number') headers['retry-after'] = String(err.details.retryAfter);
            reply(err.statusCode, `${err.message}\n`, headers);
          },
        )
        .catch((err: unknown) => {
          log.error({ module: 'metrics', err }, 'metrics scrape failed');
          reply(500, 'internal error\n');
        });
    },
    { port, host: config.host },
  );
}
