/** Delivery to callbacks: retries, pages and concurrency, and the signature with its sealed secrets. */
import { int, oneOf, SettingProblem, type Setting } from '../setting-kinds.js';
import { decodeKey, SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../secret-formats.js';

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

export const DELIVERY_SETTINGS = {
  retryBaseMs: int({ env: 'HUB_RETRY_BASE_MS', doc: 'first retry delay, then exponential with jitter', default: 60000, min: 1 }),
  maxAttempts: int({ env: 'HUB_MAX_ATTEMPTS', doc: 'attempts per delivery or verification', default: 8, min: 1, max: 100 }),
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
  pageAttempts: int({
    env: 'HUB_PAGE_ATTEMPTS',
    doc:
      "attempts per deliver page when the hub's own infrastructure fails (database or queue down); a " +
      "callback's failure never fails a page, it becomes that subscriber's retry",
    default: 20,
    min: 1,
    max: 1000,
  }),
  signatureAlgorithm: oneOf<SignatureAlgorithm>({
    env: 'HUB_SIGNATURE_ALGORITHM',
    doc:
      'HMAC of `X-Hub-Signature` for subscriptions that chose none (`hub.signature_algorithm`) and are not PubSubHubbub 0.3/0.4 ' +
      'clients, which get `sha1`: `sha1`, `sha256`, `sha384` or `sha512`',
    values: SIGNATURE_ALGORITHMS,
    default: 'sha256',
  }),
  secretKeys,
  secretCacheEntries: int({
    env: 'HUB_SECRET_CACHE_ENTRIES',
    doc: 'opened subscriber secrets kept in memory per process, so a fan-out does not decrypt each one per delivery',
    default: 10000,
    min: 0,
  }),
} satisfies Record<string, Setting<unknown>>;
