/** The admin console and API and `/metrics`: their tokens, the limit on wrong ones, and their own listeners. */
import { int, text, type Prior, type Setting } from '../setting-kinds.js';

const DEFAULT_WORKER_METRICS_PORT = 9464;

/**
 * 128 bits in form (issue 20, item 7): 32 or more hex digits, or 22 or more base64url characters, which is what
 * `openssl rand -hex 16` or `openssl rand -base64 16` (in its URL-safe alphabet) makes. A random token of that length
 * has about 14 (hex) or 18 (base64url) distinct characters and no repeating period; fewer, or one chunk repeated,
 * means it was typed, not drawn. The problem never repeats the value.
 */
function tokenProblem(token: string): string | undefined {
  // All hex digits is judged as hex: 31 of them are 124 bits, however base64url-like they look.
  const hex = /^[0-9a-f]+$/i.test(token);
  if (hex ? token.length < 32 : !/^[A-Za-z0-9_-]{22,}$/.test(token))
    return 'must be at least 32 hex digits or 22 base64url characters (128 bits), e.g. `openssl rand -hex 16`';
  const distinct = new Set(hex ? token.toLowerCase() : token).size;
  if (distinct < (hex ? 8 : 12) || /^(.+)\1+$/.test(token))
    return 'is not random enough (too few distinct characters, or a repeated chunk), make one with `openssl rand -hex 16`';
  return undefined;
}

export const ADMIN_SETTINGS = {
  adminToken: {
    ...text({
      env: 'HUB_ADMIN_TOKEN',
      doc:
        'bearer token for the read-only `/admin/*` endpoints and the sign-in of the `/admin/ui/` console; unset turns both ' +
        'off; at least 32 hex digits or 22 base64url characters (128 bits, e.g. `openssl rand -hex 16`); weaker ones stop start-up',
      default: undefined,
      // The value is a secret: problems name it, never repeat it.
      valid: tokenProblem,
    }),
    show: (value: string | undefined) => (value === undefined ? 'unset' : '[set]'),
  },
  metricsToken: {
    ...text({
      env: 'HUB_METRICS_TOKEN',
      doc:
        'bearer token for `GET /metrics`; unset, `/metrics` answers loopback clients only (others ' +
        'get 403); same strength rules as `HUB_ADMIN_TOKEN`',
      default: undefined,
      valid: tokenProblem,
    }),
    show: (value: string | undefined) => (value === undefined ? 'unset' : '[set]'),
  },
  adminAuthFailuresPerMinute: int({
    env: 'HUB_ADMIN_AUTH_FAILURES_PER_MINUTE',
    doc:
      'wrong admin or metrics tokens (console sign-in, `/admin/*` bearer, `/metrics` bearer) one client address or IPv6 /64 may send ' +
      'a minute; beyond, it gets 429 with `Retry-After` and its tokens are not checked until the minute is over',
    default: 10,
    min: 1,
  }),
  metricsPort: {
    env: 'HUB_METRICS_PORT',
    doc:
      'port of a listener serving only `GET /metrics` (on `HUB_HOST`), for processes without an HTTP front; 0 picks a free port. ' +
      'A worker whose default port is taken runs without it and logs a warning',
    defaultText: '9464 for `HUB_ROLE=worker`, none otherwise (the front serves `/metrics`)',
    read(raw: string | undefined, prior: Prior): number | undefined {
      if (raw === undefined || raw === '') return prior.role === 'worker' ? DEFAULT_WORKER_METRICS_PORT : undefined;
      return int({ env: 'HUB_METRICS_PORT', doc: '', default: 0, min: 0, max: 65535 }).read(raw, prior);
    },
  },
  adminPort: {
    env: 'HUB_ADMIN_PORT',
    doc:
      'port of a listener (on `HUB_HOST`) serving the `/admin/ui/` console and the `/admin/*` API, which the front then ' +
      'answers 404: the console gets an origin of its own, apart from the topics the front serves (recommended; see ' +
      '[docs/console.md](docs/console.md)); 0 picks a free port',
    defaultText: 'unset (the front serves them)',
    read(raw: string | undefined, prior: Prior): number | undefined {
      if (raw === undefined || raw === '') return undefined;
      return int({ env: 'HUB_ADMIN_PORT', doc: '', default: 0, min: 0, max: 65535 }).read(raw, prior);
    },
  },
} satisfies Record<string, Setting<unknown>>;
