import net from 'node:net';
import path from 'node:path';
import {
  flag,
  hostAddress,
  int,
  oneOf,
  origins,
  portRanges,
  SettingProblem,
  text,
  url,
  urlPrefixes,
  type Prior,
  type Setting,
} from './setting-kinds.js';
import { decodeKey, SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './secret-formats.js';

const DEFAULT_WORKER_METRICS_PORT = 9464;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** HUB_SECRET_KEY: comma-separated AES keys; the value itself is never echoed. */
const secretKeys: Setting<readonly Buffer[]> = {
  env: 'HUB_SECRET_KEY',
  doc:
    'key(s) sealing subscriber secrets at rest (AES-256-GCM), comma-separated, each 64 hex digits or base64 of 32 bytes; the first ' +
    'seals, all open. Rotate by putting a new key first and keeping the old one until every subscription has renewed. Embedded ' +
    'hubs without it make their own key in `$HUB_DATA_DIR/secret.key` (mode 0600); PostgreSQL hubs without it store secrets in ' +
    'plaintext and log a warning',
  defaultText: 'unset',
  read(raw) {
    const keys: Buffer[] = [];
    const problems: string[] = [];
    for (const [i, item] of (raw ?? '')
      .split(',')
      .filter((k) => k.trim() !== '')
      .entries()) {
      const key = decodeKey(item);
      if (key) keys.push(key);
      else problems.push(`HUB_SECRET_KEY entry ${i + 1} is not 64 hex digits or base64 of 32 bytes`);
    }
    if (problems.length) throw new SettingProblem(problems.join('; '));
    return keys;
  },
  show: (keys) => `${keys.length} key(s)`,
};

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

/** Named ranges Express's 'trust proxy' (proxy-addr) knows. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** HUB_TRUST_PROXY: off, `1` (one hop, any peer), or the proxies' addresses and ranges. */
function readTrustProxy(raw: string | undefined): false | 1 | readonly string[] {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return 1;
  const items = raw.split(',').map((item) => item.trim());
  const bad = items.filter((item) => !PROXY_RANGE_NAMES.includes(item) && !isAddressOrRange(item));
  if (bad.length)
    throw new SettingProblem(`HUB_TRUST_PROXY must be 1, 0 or a list of proxy addresses or CIDR ranges, got "${bad[0].slice(0, 60)}"`);
  return Object.freeze(items);
}

function isAddressOrRange(item: string): boolean {
  const [address, prefix, ...rest] = item.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Every setting Crier reads from the environment, in the order they are read (a default may follow
 * an earlier setting). Validation, `crier config` and the README's configuration table all come
 * from here; test/unit/config.test.ts checks the README against it.
 */
export const SETTINGS = {
  port: int({ env: 'PORT', doc: 'HTTP port; 0 picks a free one', default: 8080, min: 0, max: 65535 }),
  allowPrivateNetworks: flag({
    env: 'HUB_ALLOW_PRIVATE_NETWORKS',
    doc:
      '`1` lets callbacks and topics resolve to loopback/private addresses (a development setting: ' +
      'it also binds the front to loopback and logs a warning)',
  }),
  host: hostAddress({
    env: 'HUB_HOST',
    doc: 'address the front binds: an IP address or `localhost`',
    default: (prior) => (prior.allowPrivateNetworks ? '127.0.0.1' : undefined),
    defaultText: '`127.0.0.1` when `HUB_ALLOW_PRIVATE_NETWORKS=1`, every interface otherwise',
  }),
  maxConnections: int({
    env: 'HUB_MAX_CONNECTIONS',
    doc: 'open front connections at most; more are closed as they arrive',
    default: 10000,
    min: 1,
  }),
  maxIdleConnectionsPerClient: int({
    env: 'HUB_MAX_IDLE_CONNECTIONS_PER_CLIENT',
    doc:
      'front connections without a request in progress per client address (IPv6: per /64); past it, a keep-alive ' +
      'connection falling idle is closed, and a new one that sends no request within 2 s. ' +
      "Behind a proxy the proxy is the client: keep it above the proxy's keep-alive pool",
    default: 100,
    min: 1,
  }),
  publicUrl: url({
    env: 'HUB_PUBLIC_URL',
    doc: 'the hub\'s own URL, sent as `Link: <...>; rel="hub"`',
    schemes: ['http:', 'https:'],
    default: (prior) => `http://localhost:${String(prior.port)}/`,
    defaultText: '`http://localhost:$PORT/`',
  }),
  role: oneOf<'all' | 'web' | 'worker'>({
    env: 'HUB_ROLE',
    doc: '`all`, `web` or `worker`',
    values: ['all', 'web', 'worker'] as const,
    default: 'all',
  }),
  databaseUrl: url({
    env: 'DATABASE_URL',
    doc: 'PostgreSQL; unset means embedded PGlite',
    schemes: ['postgres:', 'postgresql:'],
    default: undefined,
    show: (value) => (value === undefined ? 'unset' : withoutPassword(value)),
  }),
  dataDir: {
    ...text({
      env: 'HUB_DATA_DIR',
      doc: 'where embedded data lives; made (or tightened at start to) mode 0700, its files owner-only',
      default: './data',
    }),
    read: (raw: string | undefined) => path.resolve(raw || './data'),
  },
  redisUrl: url({
    env: 'REDIS_URL',
    doc: 'BullMQ on Redis; unset means BullMQ on the database',
    schemes: ['redis:', 'rediss:'],
    default: undefined,
    show: (value) => (value === undefined ? 'unset' : withoutPassword(value)),
  }),
  queuePrefix: text({
    env: 'HUB_QUEUE_PREFIX',
    doc: 'queue namespace (Redis key prefix / PostgreSQL schema)',
    default: 'crier',
    valid: (v) => (/^[a-z_][a-z0-9_]{0,40}$/.test(v) ? undefined : `must be lowercase letters, digits or _, got "${v}"`),
  }),
  allowedPorts: portRanges({
    env: 'HUB_ALLOWED_PORTS',
    doc:
      'ports callbacks, topics and redirects may use, e.g. `80,443,8000-8999` (recommended: it keeps ' +
      'the hub from being pointed at mail, database or admin ports)',
    defaultText: 'any port',
  }),
  topicAllow: urlPrefixes({
    env: 'HUB_TOPIC_ALLOW',
    doc:
      'comma-separated URL prefixes of the topics this hub serves (e.g. `https://example.com/feeds/`); a subscription to any other ' +
      'topic is answered 202 (so the answer never depends on policy, H10), then denied with a `hub.mode=denied` GET to the callback (H12)',
    defaultText: 'unset: every topic',
  }),
  leaseMinSeconds: int({ env: 'HUB_LEASE_MIN_SECONDS', doc: 'shortest lease granted', default: 60, min: 1 }),
  leaseDefaultSeconds: int({ env: 'HUB_LEASE_DEFAULT_SECONDS', doc: 'lease when the subscriber asks for none', default: 864000, min: 1 }),
  leaseMaxSeconds: int({ env: 'HUB_LEASE_MAX_SECONDS', doc: 'longest lease granted', default: 2592000, min: 1 }),
  reconfirmPercent: int({
    env: 'HUB_RECONFIRM_PERCENT',
    doc:
      "when this share of a subscription's lease is left, the hub verifies it with its subscriber again (WebSub §5.3 allows it, H16); " +
      'a confirmation renews the lease, a refusal lets it run out; 0 turns it off',
    default: 10,
    min: 0,
    max: 99,
  }),
  retryBaseMs: int({ env: 'HUB_RETRY_BASE_MS', doc: 'first retry delay, then exponential with jitter', default: 60000, min: 1 }),
  maxAttempts: int({ env: 'HUB_MAX_ATTEMPTS', doc: 'attempts per delivery or verification', default: 8, min: 1, max: 100 }),
  maxContentBytes: int({
    env: 'HUB_MAX_CONTENT_BYTES',
    doc: 'largest topic body fetched',
    default: 5 * 1024 * 1024,
    defaultText: '5242880 (5 MiB)',
    min: 1024,
  }),
  parseBudgetMs: int({
    env: 'HUB_PARSE_BUDGET_MS',
    doc: 'longest one feed parse may take; past it the topic is delivered whole and the reason recorded',
    default: 2000,
    min: 10,
  }),
  // Issue 26: what the feed diff may ignore (src/feeds/meaning.ts); self-contained so it moves as one block.
  updateIgnore: {
    env: 'HUB_UPDATE_IGNORE',
    doc:
      'what an entry may change without counting as updated, comma-separated: `dates` (an entry whose only change is a ' +
      'date, such as `updated`, `pubDate`, `dc:date` or JSON Feed `date_modified`, is not re-delivered; a date that changes ' +
      'with anything else is), `tracking` (`utm_*`, `fbclid`, `gclid` and similar query parameters are dropped from links: ' +
      'link elements and href/url/src attributes, JSON Feed `url` and `external_url`; not links inside HTML content). ' +
      'See docs/feed-engine.md',
    defaultText: 'unset (off)',
    read(raw: string | undefined): ReadonlyArray<'dates' | 'tracking'> {
      const items = (raw ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      const bad = items.filter((v) => v !== 'dates' && v !== 'tracking');
      if (bad.length) throw new SettingProblem(`HUB_UPDATE_IGNORE takes dates and tracking, got "${bad.join(', ')}"`);
      return [...new Set(items as Array<'dates' | 'tracking'>)];
    },
    show: (value: ReadonlyArray<string>) => (value.length ? value.join(',') : 'off'),
  },
  dbIdleTransactionMs: int({
    env: 'HUB_DB_IDLE_TRANSACTION_MS',
    doc: 'embedded only: a connection idle this long inside a transaction is ended and its transaction rolled back',
    default: 5000,
    min: 100,
  }),
  dbSharedBuffersMb: int({
    env: 'HUB_DB_SHARED_BUFFERS_MB',
    doc:
      "embedded only: PostgreSQL's `shared_buffers`, its page cache inside PGlite's memory, in MiB; all of it is resident " +
      "from the start, and pages beyond it are read again from the operating system's file cache",
    default: 16,
    min: 1,
    max: 1024,
  }),
  dbWasmBaselineOnly: flag({
    env: 'HUB_DB_WASM_BASELINE_ONLY',
    doc:
      "embedded only: `1` keeps V8 from optimising PGlite's hot functions (and any other WebAssembly in the process): " +
      'about 70 MB less resident, at about a third more CPU per topic on the many-topics path; from Node 22 on it needs node ' +
      'started with `--liftoff-only` (`NODE_OPTIONS=--liftoff-only`), which does the same by itself',
  }),
  maxRequestBytes: int({
    env: 'HUB_MAX_REQUEST_BYTES',
    doc: 'largest `POST /` body',
    default: 64 * 1024,
    defaultText: '65536 (64 KiB)',
    min: 1024,
  }),
  maxPublishUrls: int({ env: 'HUB_MAX_PUBLISH_URLS', doc: 'most `hub.url` values in one ping', default: 100, min: 1 }),
  rateLimitPerMinute: int({
    env: 'HUB_RATE_LIMIT_PER_MINUTE',
    doc: 'subscribe/publish requests per client address and per callback host; 0 turns limits off',
    default: 6000,
    min: 0,
  }),
  corsOrigins: origins({
    env: 'HUB_CORS_ORIGINS',
    doc:
      'browser origins that may read retrieve, long-poll and stream answers (`GET /?hub.mode=retrieve`): a comma-separated ' +
      'list of origins (`https://app.example`), or `*` for any; never the console, the admin API or `/metrics`',
  }),
  trustProxy: {
    env: 'HUB_TRUST_PROXY',
    doc:
      'behind reverse proxies: their addresses or CIDR ranges, comma-separated (`10.0.0.5,192.168.1.0/24`; `loopback`, ' +
      '`linklocal` and `uniquelocal` name those ranges). The client is the nearest `X-Forwarded-For` address that is not ' +
      'one of them; a peer not in the list is the client whatever it sends. `1` (as before) takes whichever peer connects ' +
      'for the one proxy: only where nothing else can reach the hub (H28)',
    defaultText: 'off',
    read: readTrustProxy,
  },
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
  secretKeys,
  connectTimeoutMs: int({ env: 'HUB_CONNECT_TIMEOUT_MS', doc: 'outbound TCP/TLS connect timeout', default: 5000, min: 1 }),
  requestTimeoutMs: int({
    env: 'HUB_REQUEST_TIMEOUT_MS',
    doc: 'outbound timeout for the headers, and again for the body',
    default: 10000,
    min: 1,
  }),
  deliverPageSize: int({
    env: 'HUB_DELIVER_PAGE_SIZE',
    doc: "subscribers per deliver page (fewer jobs per fan-out; a killed worker's in-flight pages are what it re-delivers)",
    default: 2000,
    min: 1,
    max: 10000,
  }),
  deliverConcurrency: int({ env: 'HUB_DELIVER_CONCURRENCY', doc: 'callback POSTs in flight per worker process', default: 64, min: 1 }),
  originConnections: int({ env: 'HUB_ORIGIN_CONNECTIONS', doc: 'keep-alive connections per callback origin', default: 64, min: 1 }),
  deliverJobs: int({
    env: 'HUB_DELIVER_JOBS',
    doc: 'deliver jobs (pages or retries) in flight per worker process',
    default: 16,
    min: 1,
    max: 1000,
  }),
  seenEntriesMax: int({ env: 'HUB_SEEN_ENTRIES_MAX', doc: 'feed entry ids remembered per topic for diffing', default: 2000, min: 1 }),
  seenEntriesDays: int({ env: 'HUB_SEEN_ENTRIES_DAYS', doc: 'days a seen entry id is remembered', default: 90, min: 1 }),
  signatureAlgorithm: oneOf<SignatureAlgorithm>({
    env: 'HUB_SIGNATURE_ALGORITHM',
    doc:
      'HMAC of `X-Hub-Signature` for subscriptions that chose none (`hub.signature_algorithm`) and are not PubSubHubbub 0.3/0.4 ' +
      'clients, which get `sha1`: `sha1`, `sha256`, `sha384` or `sha512`',
    values: SIGNATURE_ALGORITHMS,
    default: 'sha256',
  }),
  syncVerifyTimeoutMs: int({
    env: 'HUB_SYNC_VERIFY_TIMEOUT_MS',
    doc:
      'how long a PubSubHubbub 0.3 `hub.verify=sync` request waits for its callback before it is answered 202 and verified ' +
      'asynchronously (at most 9000: the sweep takes over unqueued intents after 10 s); also how long a `hub.mode=replay` of a ' +
      'subscription without a secret waits for its callback to confirm it before it is refused',
    default: 5000,
    min: 100,
    max: 9000,
  }),
  replayPerHour: int({
    env: 'HUB_REPLAY_PER_HOUR',
    doc: '`hub.mode=replay` requests accepted per subscription in any hour (one runs at a time); beyond, 429 with Retry-After',
    default: 6,
    min: 1,
    max: 1000,
  }),
  fetchConcurrency: int({
    env: 'HUB_FETCH_CONCURRENCY',
    doc: 'topic fetches in flight per worker process',
    default: 32,
    min: 1,
    max: 1000,
  }),
  fetchPerHost: int({
    env: 'HUB_FETCH_PER_HOST',
    doc:
      'of those, at most this many to one target (a registrable domain, an IPv4 /24 or an IPv6 /64), so the other half always ' +
      'serves everyone else; a fetch over the share waits a moment in the queue without spending an attempt',
    default: (prior) => Math.ceil(Number(prior.fetchConcurrency) / 2),
    defaultText: 'half of `HUB_FETCH_CONCURRENCY`',
    min: 1,
    max: 1000,
  }),
  fetchMinIntervalSeconds: int({
    env: 'HUB_FETCH_MIN_INTERVAL_SECONDS',
    doc:
      'least time between the end of one fetch of a topic and the start of its next; pings inside it ' +
      'coalesce into that next fetch, none is lost; 0 turns it off',
    default: 3,
    min: 0,
    max: 86400,
  }),
  poll: flag({
    env: 'HUB_POLL',
    doc:
      '`0` turns off polling of subscribed topics (see [docs/operations.md](docs/operations.md#polling)); ' +
      'they are then fetched only when pinged',
    default: true,
  }),
  pollMinSeconds: int({
    env: 'HUB_POLL_MIN_SECONDS',
    doc: 'shortest poll interval of a topic; values down to 1 are accepted for tests, not for polling real publishers',
    default: 300,
    min: 1,
  }),
  pollMaxSeconds: int({
    env: 'HUB_POLL_MAX_SECONDS',
    doc: 'longest poll interval of a topic: the safety net for topics whose pings arrive, and the rate for topics that keep failing',
    default: 86400,
    min: 1,
  }),
  pollPerHost: int({
    env: 'HUB_POLL_PER_HOST',
    doc: 'per worker process: poll fetches in flight to one target (counted as `HUB_FETCH_PER_HOST` counts)',
    default: 2,
    min: 1,
    max: 1000,
  }),
  pollHostSpacingMs: int({
    env: 'HUB_POLL_HOST_SPACING_MS',
    doc: 'per worker process: least time between the starts of two polls of one target',
    default: 200,
    min: 0,
    max: 60000,
  }),
  pollBatch: int({
    env: 'HUB_POLL_BATCH',
    doc: 'most due topics the scheduler claims and queues at once (and fetch jobs it lets wait in the queue)',
    default: 1000,
    min: 1,
    max: 10000,
  }),
  fetchMinBytesPerSecond: int({
    env: 'HUB_FETCH_MIN_BYTES_PER_SECOND',
    doc: 'a topic body arriving slower than this over a 5 s window is abandoned (`HUB_ERR_TOPIC_TOO_SLOW`, recorded on the topic)',
    default: 1024,
    min: 1,
  }),
  fetchAttempts: int({
    env: 'HUB_FETCH_ATTEMPTS',
    doc: 'attempts per topic fetch (timeouts, resets, 5xx, 429); 4xx and blocked addresses are recorded and not retried',
    default: 5,
    min: 1,
    max: 100,
  }),
  pageAttempts: int({
    env: 'HUB_PAGE_ATTEMPTS',
    doc:
      "attempts per deliver page when the hub's own infrastructure fails (database or queue down); a " +
      "callback's failure never fails a page, it becomes that subscriber's retry",
    default: 20,
    min: 1,
    max: 1000,
  }),
  sweepIntervalMs: int({
    env: 'HUB_SWEEP_INTERVAL_MS',
    doc: 'how often each worker process re-enqueues work whose enqueue was lost (the outbox sweep), renews nothing else',
    default: 15000,
    min: 100,
  }),
  queueDrainDelaySeconds: int({
    env: 'HUB_QUEUE_DRAIN_DELAY_SECONDS',
    doc: 'an idle worker blocks on the queue (BZPOPMIN on Redis, LISTEN on PostgreSQL) and re-checks after this long',
    default: 5,
    min: 1,
    max: 300,
  }),
  queueDbConnections: int({
    env: 'HUB_QUEUE_DB_CONNECTIONS',
    doc: "without Redis: connections per queue to the database for BullMQ's PostgreSQL backend",
    default: 4,
    min: 1,
    max: 100,
  }),
  secretCacheEntries: int({
    env: 'HUB_SECRET_CACHE_ENTRIES',
    doc: 'opened subscriber secrets kept in memory per process, so a fan-out does not decrypt each one per delivery',
    default: 10000,
    min: 0,
  }),
  historyEntries: int({
    env: 'HUB_HISTORY_ENTRIES',
    doc:
      "each topic's update log, kept for retrieve, long-poll, event streams and replay: at least this many of its latest entries " +
      '(an update still being retried to a callback stays until it is settled)',
    default: 100,
    min: 1,
    max: 100000,
  }),
  historyDays: int({
    env: 'HUB_HISTORY_DAYS',
    doc: "days an update stays in its topic's log (beyond `HUB_HISTORY_ENTRIES`, none older)",
    default: 30,
    min: 1,
    max: 3650,
  }),
  retrieveMaxBytes: int({
    env: 'HUB_RETRIEVE_MAX_BYTES',
    doc:
      'most stored update bytes one retrieve or long-poll answer carries, and one read of a resuming stream: past it the answer ' +
      'holds fewer entries, says so in `X-Crier-Truncated` and links the rest (`Link: rel="next"`); a stream reads on once its ' +
      'client has taken the previous read. One update is always sent whole',
    default: 4 * 1024 * 1024,
    defaultText: '4194304 (4 MiB)',
    min: 1024,
  }),
  maxStreams: int({
    env: 'HUB_MAX_STREAMS',
    doc: 'open event streams plus held long-polls per web process; over it 503 with `Retry-After`',
    default: 10000,
    min: 1,
  }),
  maxStreamsPerClient: int({
    env: 'HUB_MAX_STREAMS_PER_CLIENT',
    doc: 'open event streams plus held long-polls per client address (IPv6: per /64); over it 429 with `Retry-After`',
    default: 100,
    min: 1,
  }),
  streamHeartbeatMs: int({
    env: 'HUB_STREAM_HEARTBEAT_MS',
    doc: 'a comment line on every event stream this often, so proxies keep idle streams open',
    default: 15000,
    min: 50,
    max: 3600000,
  }),
  dbPoolSize: int({ env: 'HUB_DB_POOL_SIZE', doc: 'PostgreSQL connections per process', default: 20, min: 1, max: 1000 }),
  shutdownTimeoutMs: int({ env: 'HUB_SHUTDOWN_TIMEOUT_MS', doc: 'how long SIGTERM waits for in-flight work', default: 20000, min: 0 }),
  circuitMinAttempts: int({
    env: 'HUB_CIRCUIT_MIN_ATTEMPTS',
    doc:
      "a callback or topic origin's circuit opens when 80% of at least this many attempts in 5 minutes failed (timeouts, resets, " +
      '5xx); an open circuit postpones deliveries and fetches, it never drops them',
    default: 10,
    min: 1,
  }),
  circuitCooldownMs: int({
    env: 'HUB_CIRCUIT_COOLDOWN_MS',
    doc: 'how long an open circuit waits before a probe; doubles per failed probe, up to 5 minutes',
    default: 30000,
    min: 1,
  }),
  jobLockMs: int({
    env: 'HUB_JOB_LOCK_MS',
    doc:
      "how long a job stays claimed without renewal; a killed worker's jobs run again after it. A fetch job's claim on the first " +
      "page of what it found new lasts as long: a killed worker's page is queued again by the sweep",
    default: 30000,
    min: 1000,
  }),
  logLevel: oneOf<(typeof LOG_LEVELS)[number]>({ env: 'LOG_LEVEL', doc: 'pino level', values: LOG_LEVELS, default: 'info' }),
} satisfies Record<string, Setting<unknown>>;

/** Values that follow from the settings rather than being settings themselves. */
export const DERIVED = {
  /** True when the metrics port is the worker's default: a taken port is then only warned about. */
  metricsPortDefaulted: (env: Readonly<Record<string, string | undefined>>, settings: Prior): boolean =>
    !env.HUB_METRICS_PORT && settings.role === 'worker',
};

type Settings = typeof SETTINGS;
/** Everything Crier can be told through the environment, parsed and frozen. */
export type Config = Readonly<
  { -readonly [K in keyof Settings]: ReturnType<Settings[K]['read']> } & {
    -readonly [K in keyof typeof DERIVED]: ReturnType<(typeof DERIVED)[K]>;
  }
>;
export type HubRole = Config['role'];

/** Checks across settings, each giving a problem or nothing. */
export const CROSS_CHECKS: Array<(config: Prior) => string | undefined> = [
  (c) => (Number(c.pollMinSeconds) <= Number(c.pollMaxSeconds) ? undefined : 'HUB_POLL_MIN_SECONDS <= HUB_POLL_MAX_SECONDS must hold'),
  (c) => (c.adminPort === undefined || c.adminPort === 0 || c.adminPort !== c.port ? undefined : 'HUB_ADMIN_PORT must differ from PORT'),
  (c) =>
    Number(c.leaseMinSeconds) <= Number(c.leaseDefaultSeconds) && Number(c.leaseDefaultSeconds) <= Number(c.leaseMaxSeconds)
      ? undefined
      : 'HUB_LEASE_MIN_SECONDS <= HUB_LEASE_DEFAULT_SECONDS <= HUB_LEASE_MAX_SECONDS must hold',
];

/** A URL with any password masked. */
function withoutPassword(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return raw;
  }
}
