import net from 'node:net';
import { decodeKey } from './db/secret-box.js';
import type { PortRange } from './net/address-guard.js';
import path from 'node:path';
import { HubError } from './errors.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './workers/signature.js';

export type HubRole = 'all' | 'web' | 'worker';

/** Everything Crier can be told through the environment, parsed and frozen. */
export type Config = Readonly<{
  /** PORT: HTTP port; 0 picks a free one. Default 8080. */
  port: number;
  /**
   * HUB_HOST: address the front binds. Default 127.0.0.1 when private networks
   * are allowed (a development hub), every interface otherwise.
   */
  host: string | undefined;
  /** HUB_MAX_CONNECTIONS: open front connections at most; more are closed at once. Default 10000. */
  maxConnections: number;
  /** HUB_SECRET_KEY: keys (comma-separated, 64 hex digits or base64 of 32 bytes) sealing subscriber secrets; the first seals. */
  secretKeys: readonly Buffer[];
  /** HUB_ALLOWED_PORTS: ports topics and callbacks may use (`80,443,8000-8999`); unset means any. */
  allowedPorts: readonly PortRange[] | undefined;
  /** HUB_PUBLIC_URL: the hub's own URL, sent as Link rel="hub". Default http://localhost:$PORT/. */
  publicUrl: string;
  /** HUB_ROLE: all, web or worker. Default all. */
  role: HubRole;
  /** DATABASE_URL: PostgreSQL; unset means embedded PGlite. */
  databaseUrl: string | undefined;
  /** HUB_DATA_DIR: where embedded data lives. Default ./data. */
  dataDir: string;
  /** REDIS_URL: BullMQ on Redis; unset means BullMQ on the database. */
  redisUrl: string | undefined;
  /** HUB_QUEUE_PREFIX: queue namespace (Redis key prefix, PostgreSQL schema). Default crier. */
  queuePrefix: string;
  /** HUB_ALLOW_PRIVATE_NETWORKS=1 lets topics and callbacks resolve to loopback/private addresses. */
  allowPrivateNetworks: boolean;
  /**
   * HUB_TOPIC_ALLOW: comma-separated http(s) URL prefixes of the topics this hub serves,
   * e.g. `https://example.com/feeds/`. A subscription to any other topic is accepted (202, so
   * the answer never depends on policy, H10) and then denied with a `hub.mode=denied` GET
   * (WebSub §5.2, H12). Unset: every topic.
   */
  topicAllow: readonly string[] | undefined;
  /** HUB_LEASE_MIN_SECONDS / DEFAULT / MAX: lease bounds. Defaults 60 / 864000 / 2592000. */
  leaseMinSeconds: number;
  leaseDefaultSeconds: number;
  leaseMaxSeconds: number;
  /**
   * HUB_RECONFIRM_PERCENT: when this percentage of a subscription's lease is left, the hub
   * re-confirms it with the subscriber (WebSub §5.3, H16); a confirmation renews the lease for
   * the same length. 0 turns it off. Default 10.
   */
  reconfirmPercent: number;
  /** HUB_RETRY_BASE_MS: first retry delay, then exponential with jitter. Default 60000. */
  retryBaseMs: number;
  /** HUB_MAX_ATTEMPTS: attempts per delivery or verification. Default 8. */
  maxAttempts: number;
  /** HUB_MAX_CONTENT_BYTES: largest topic body fetched. Default 5 MiB. */
  maxContentBytes: number;
  /** HUB_DB_IDLE_TRANSACTION_MS: embedded only; a connection idle this long inside a transaction is ended. Default 5000. */
  dbIdleTransactionMs: number;
  /** HUB_PARSE_BUDGET_MS: longest one feed parse may take before the topic is delivered whole. Default 2000. */
  parseBudgetMs: number;
  /** HUB_MAX_REQUEST_BYTES: largest POST / body accepted. Default 64 KiB. */
  maxRequestBytes: number;
  /** HUB_MAX_PUBLISH_URLS: most hub.url values in one ping. Default 100. */
  maxPublishUrls: number;
  /** HUB_RATE_LIMIT_PER_MINUTE: subscribe/publish requests per client address and per callback host; 0 = off. Default 6000. */
  rateLimitPerMinute: number;
  /** HUB_TRUST_PROXY=1: take the client address from X-Forwarded-For. */
  trustProxy: boolean;
  /** HUB_ADMIN_TOKEN: bearer token for the read-only admin endpoints; unset turns them off. */
  adminToken: string | undefined;
  /**
   * HUB_METRICS_TOKEN: bearer token for GET /metrics. Unset: /metrics answers loopback clients only
   * (the client address as HUB_TRUST_PROXY sees it) and refuses others with 403.
   */
  metricsToken: string | undefined;
  /**
   * HUB_METRICS_PORT: port of a listener serving only GET /metrics (on HUB_HOST), for processes without
   * an HTTP front; 0 picks a free one. Default 9464 for HUB_ROLE=worker, none otherwise (the front
   * serves /metrics); set on a web or all process, it adds the listener there too.
   */
  metricsPort: number | undefined;
  /** True when metricsPort is the worker's default rather than HUB_METRICS_PORT: a taken port is then only warned about. */
  metricsPortDefaulted: boolean;
  /** HUB_CONNECT_TIMEOUT_MS: outbound TCP/TLS connect timeout. Default 5000. */
  connectTimeoutMs: number;
  /** HUB_REQUEST_TIMEOUT_MS: outbound headers and body timeout each. Default 10000. */
  requestTimeoutMs: number;
  /**
   * HUB_DELIVER_PAGE_SIZE: subscribers per deliver page. Default 2000: fewer jobs per fan-out (on the
   * embedded queue each job is several PGlite calls on the hub's own thread); a killed worker's
   * in-flight pages are what it re-delivers.
   */
  deliverPageSize: number;
  /** HUB_DELIVER_CONCURRENCY: POSTs in flight per worker process. Default 64 (faster here than 32 or 128: bench fan-out at 10k). */
  deliverConcurrency: number;
  /** HUB_ORIGIN_CONNECTIONS: keep-alive connections per callback origin. Default 64. */
  originConnections: number;
  /** HUB_SEEN_ENTRIES_MAX: seen entry ids kept per topic. Default 2000. */
  seenEntriesMax: number;
  /** HUB_SEEN_ENTRIES_DAYS: days a seen entry id is remembered. Default 90. */
  seenEntriesDays: number;
  /**
   * HUB_SIGNATURE_ALGORITHM: the HMAC of X-Hub-Signature for subscriptions that did not choose one
   * (hub.signature_algorithm) and are not PubSubHubbub 0.3/0.4 clients (those get sha1). Default sha256.
   */
  signatureAlgorithm: SignatureAlgorithm;
  /**
   * HUB_SYNC_VERIFY_TIMEOUT_MS: how long a PubSubHubbub 0.3 hub.verify=sync request waits for its
   * callback's answer before it is answered 202 and verified asynchronously. Default 5000 (at most 9000:
   * the sweep takes over unqueued intents after 10 s).
   */
  syncVerifyTimeoutMs: number;
  /** HUB_FETCH_CONCURRENCY: topic fetches in flight per worker process. Default 32. */
  fetchConcurrency: number;
  /**
   * HUB_FETCH_PER_HOST: topic fetches in flight per worker process to one target (a registrable
   * domain, an IPv4 /24 or an IPv6 /64), so slow servers cannot take every fetch slot. Default half of
   * HUB_FETCH_CONCURRENCY: a platform hosting many feeds on its own domain still gets many at once.
   */
  fetchPerHost: number;
  /** HUB_FETCH_MIN_INTERVAL_SECONDS: least time between two fetches of one topic; pings inside it coalesce. 0 = off. Default 3. */
  fetchMinIntervalSeconds: number;
  /** HUB_FETCH_MIN_BYTES_PER_SECOND: a topic body arriving slower than this (over 5 s windows) is abandoned. Default 1024. */
  fetchMinBytesPerSecond: number;
  /** HUB_DELIVER_JOBS: deliver jobs (pages or retries) in flight per worker process. Default 16. */
  deliverJobs: number;
  /** HUB_DB_POOL_SIZE: PostgreSQL connections per process. Default 20. */
  dbPoolSize: number;
  /** HUB_SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for in-flight work. Default 20000. */
  shutdownTimeoutMs: number;
  /**
   * HUB_CIRCUIT_MIN_ATTEMPTS: attempts to one callback or topic origin within 5 minutes before its failure
   * ratio (80%) can open its circuit. Default 10.
   */
  circuitMinAttempts: number;
  /**
   * HUB_CIRCUIT_COOLDOWN_MS: how long an open circuit waits before a probe; doubles per failed probe,
   * up to 5 minutes. Default 30000.
   */
  circuitCooldownMs: number;
  /**
   * HUB_JOB_LOCK_MS: how long a job stays claimed by a worker without renewal; a killed worker's jobs
   * are re-run after it. Default 30000.
   */
  jobLockMs: number;
  /** LOG_LEVEL: pino level. Default info. */
  logLevel: string;
}>;

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Every variable loadConfig reads: what a HUB_* variable must be one of. */
const KNOWN = new Set<string>();

/**
 * HUB_* variables in `env` that no setting reads: most likely misspelt
 * (HUB_FETCH_CONCURENCY), and otherwise ignored in silence. Start-up warns.
 */
export function unknownHubVariables(env: Env = process.env): string[] {
  if (KNOWN.size === 0) loadConfigQuietly();
  return Object.keys(env)
    .filter((name) => name.startsWith('HUB_') && !KNOWN.has(name))
    .sort();
}

/** Names of every variable a setting reads, sorted. */
export function knownVariables(): string[] {
  if (KNOWN.size === 0) loadConfigQuietly();
  return [...KNOWN].sort();
}

function loadConfigQuietly(): void {
  try {
    loadConfig({});
  } catch {
    // Only the names it reads are wanted here.
  }
}

/** Reads and validates every knob; throws one HubError naming each bad variable. */
export function loadConfig(given: Env = process.env): Config {
  const problems: string[] = [];
  // Every read is noted, so the names a setting reads are known without a second list of them.
  const env = new Proxy(given, {
    get(target, name) {
      if (typeof name === 'string') KNOWN.add(name);
      return target[name as string];
    },
  });

  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw.trim())) {
      problems.push(`${name} must be a whole number, got "${raw}"`);
      return fallback;
    }
    const value = Number(raw.trim());
    if (value < min || value > max) problems.push(`${name} must be between ${min} and ${max}, got ${value}`);
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  };
  const flag = (name: string): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
    if (raw === '1' || raw === 'true') return true;
    problems.push(`${name} must be 1 or 0, got "${raw}"`);
    return false;
  };
  const url = (name: string, schemes: string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const parsed = new URL(raw);
      if (!schemes.includes(parsed.protocol)) problems.push(`${name} must use ${schemes.join(' or ')}, got "${parsed.protocol}"`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const port = int('PORT', 8080, 0, 65535);
  const role = (env.HUB_ROLE || 'all') as HubRole;
  if (!['all', 'web', 'worker'].includes(role)) problems.push(`HUB_ROLE must be all, web or worker, got "${role}"`);
  const publicUrl = url('HUB_PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}/`;
  const queuePrefix = env.HUB_QUEUE_PREFIX || 'crier';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(queuePrefix))
    problems.push(`HUB_QUEUE_PREFIX must be lowercase letters, digits or _, got "${queuePrefix}"`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const leaseMinSeconds = int('HUB_LEASE_MIN_SECONDS', 60, 1);
  const leaseDefaultSeconds = int('HUB_LEASE_DEFAULT_SECONDS', 864000, 1);
  const leaseMaxSeconds = int('HUB_LEASE_MAX_SECONDS', 2592000, 1);
  if (leaseMinSeconds > leaseDefaultSeconds || leaseDefaultSeconds > leaseMaxSeconds) {
    problems.push('HUB_LEASE_MIN_SECONDS <= HUB_LEASE_DEFAULT_SECONDS <= HUB_LEASE_MAX_SECONDS must hold');
  }
  const prefixes = (name: string): readonly string[] | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const list: string[] = [];
    for (const item of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      try {
        const parsed = new URL(item);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
          problems.push(`${name} entries must be http or https URLs, got "${item}"`);
        parsed.hash = '';
        // The normal form ends an origin with "/", so https://a.example never matches https://a.example.evil/.
        list.push(parsed.href);
      } catch {
        problems.push(`${name} entries must be URLs, got "${item}"`);
      }
    }
    return Object.freeze(list);
  };
  const token = (name: string): string | undefined => {
    const value = env[name] || undefined;
    if (value === undefined) return undefined;
    if (value.length < 16) problems.push(`${name} must be at least 16 characters`);
    else if (/\s/.test(value)) problems.push(`${name} must not contain whitespace`);
    else if (new Set(value).size < 4) problems.push(`${name} is too weak (fewer than 4 distinct characters)`);
    return value;
  };
  const adminToken = token('HUB_ADMIN_TOKEN');
  const secretKeys: Buffer[] = [];
  for (const [i, text] of (env.HUB_SECRET_KEY ?? '')
    .split(',')
    .filter((k) => k.trim() !== '')
    .entries()) {
    const key = decodeKey(text);
    if (key) secretKeys.push(key);
    else problems.push(`HUB_SECRET_KEY entry ${i + 1} is not 64 hex digits or base64 of 32 bytes`);
  }
  const allowPrivateNetworks = flag('HUB_ALLOW_PRIVATE_NETWORKS');
  const host = env.HUB_HOST || (allowPrivateNetworks ? '127.0.0.1' : undefined);
  if (host !== undefined && net.isIP(host) === 0 && host !== 'localhost') {
    problems.push(`HUB_HOST must be an IP address or localhost, got "${host}"`);
  }
  const portRanges = (name: string): readonly PortRange[] | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const ranges: PortRange[] = [];
    for (const item of raw.split(',').map((p) => p.trim())) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
      const lo = Number(m?.[1]);
      const hi = Number(m?.[2] ?? m?.[1]);
      if (!m || lo < 1 || hi > 65535 || lo > hi) problems.push(`${name} entries must be ports or ranges such as 8000-8999, got "${item}"`);
      else ranges.push([lo, hi]);
    }
    return Object.freeze(ranges);
  };

  const fetchConcurrency = int('HUB_FETCH_CONCURRENCY', 32, 1, 1000);
  const config: Config = {
    port,
    host,
    maxConnections: int('HUB_MAX_CONNECTIONS', 10000, 1),
    publicUrl,
    role,
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(env.HUB_DATA_DIR || './data'),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    queuePrefix,
    allowPrivateNetworks,
    allowedPorts: portRanges('HUB_ALLOWED_PORTS'),
    secretKeys,
    topicAllow: prefixes('HUB_TOPIC_ALLOW'),
    leaseMinSeconds,
    leaseDefaultSeconds,
    leaseMaxSeconds,
    retryBaseMs: int('HUB_RETRY_BASE_MS', 60000, 1),
    maxAttempts: int('HUB_MAX_ATTEMPTS', 8, 1, 100),
    maxContentBytes: int('HUB_MAX_CONTENT_BYTES', 5 * 1024 * 1024, 1024),
    parseBudgetMs: int('HUB_PARSE_BUDGET_MS', 2000, 10),
    dbIdleTransactionMs: int('HUB_DB_IDLE_TRANSACTION_MS', 5000, 100),
    maxRequestBytes: int('HUB_MAX_REQUEST_BYTES', 64 * 1024, 1024),
    maxPublishUrls: int('HUB_MAX_PUBLISH_URLS', 100, 1),
    rateLimitPerMinute: int('HUB_RATE_LIMIT_PER_MINUTE', 6000, 0),
    reconfirmPercent: int('HUB_RECONFIRM_PERCENT', 10, 0, 99),
    trustProxy: flag('HUB_TRUST_PROXY'),
    adminToken,
    metricsToken: token('HUB_METRICS_TOKEN'),
    metricsPort: env.HUB_METRICS_PORT ? int('HUB_METRICS_PORT', 9464, 0, 65535) : role === 'worker' ? 9464 : undefined,
    metricsPortDefaulted: !env.HUB_METRICS_PORT && role === 'worker',
    connectTimeoutMs: int('HUB_CONNECT_TIMEOUT_MS', 5000, 1),
    requestTimeoutMs: int('HUB_REQUEST_TIMEOUT_MS', 10000, 1),
    deliverPageSize: int('HUB_DELIVER_PAGE_SIZE', 2000, 1, 10000),
    deliverConcurrency: int('HUB_DELIVER_CONCURRENCY', 64, 1),
    originConnections: int('HUB_ORIGIN_CONNECTIONS', 64, 1),
    seenEntriesMax: int('HUB_SEEN_ENTRIES_MAX', 2000, 1),
    seenEntriesDays: int('HUB_SEEN_ENTRIES_DAYS', 90, 1),
    syncVerifyTimeoutMs: int('HUB_SYNC_VERIFY_TIMEOUT_MS', 5000, 100, 9000),
    signatureAlgorithm: oneOf('HUB_SIGNATURE_ALGORITHM', SIGNATURE_ALGORITHMS, 'sha256'),
    fetchConcurrency,
    fetchPerHost: int('HUB_FETCH_PER_HOST', Math.ceil(fetchConcurrency / 2), 1, 1000),
    fetchMinIntervalSeconds: int('HUB_FETCH_MIN_INTERVAL_SECONDS', 3, 0, 86400),
    fetchMinBytesPerSecond: int('HUB_FETCH_MIN_BYTES_PER_SECOND', 1024, 1),
    deliverJobs: int('HUB_DELIVER_JOBS', 16, 1, 1000),
    dbPoolSize: int('HUB_DB_POOL_SIZE', 20, 1, 1000),
    shutdownTimeoutMs: int('HUB_SHUTDOWN_TIMEOUT_MS', 20000, 0),
    circuitMinAttempts: int('HUB_CIRCUIT_MIN_ATTEMPTS', 10, 1),
    circuitCooldownMs: int('HUB_CIRCUIT_COOLDOWN_MS', 30000, 1),
    jobLockMs: int('HUB_JOB_LOCK_MS', 30000, 1000),
    logLevel,
  };
  if (problems.length > 0) {
    throw new HubError('HUB_ERR_CONFIG', `invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(config);
}

/** A URL with any password masked. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return url;
  }
}

/** The effective settings as name=value lines for `crier config`: keys and tokens shown only as set, URL passwords masked. */
export function describeConfig(config: Config): Array<[string, string]> {
  return Object.entries(config).map(([name, value]): [string, string] => {
    if (name === 'secretKeys') return [name, `${(value as Buffer[]).length} key(s)`];
    if (name === 'adminToken' || name === 'metricsToken') return [name, value === undefined ? 'unset' : '[set]'];
    if (typeof value === 'string' && /^(postgres|postgresql|redis|rediss):/.test(value)) return [name, withoutPassword(value)];
    return [name, value === undefined ? 'unset' : JSON.stringify(value)];
  });
}

/** What the client commands of the CLI (`crier status`, ...) read: they talk to a hub, they do not run one. */
export interface ClientSettings {
  /** CRIER_HUB_URL: the hub the admin commands ask. Default http://localhost:8080/. */
  hubUrl: string;
  /** CRIER_ADMIN_TOKEN: the hub's HUB_ADMIN_TOKEN, sent as a bearer token. */
  adminToken: string | undefined;
}

export function loadClientSettings(env: Env = process.env): ClientSettings {
  return { hubUrl: env.CRIER_HUB_URL || 'http://localhost:8080/', adminToken: env.CRIER_ADMIN_TOKEN || undefined };
}
