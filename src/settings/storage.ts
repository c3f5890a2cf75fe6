/** Where data lives: PostgreSQL or the embedded database (and its tuning), and Redis when there is one. */
import path from 'node:path';
import { flag, int, text, url, type Setting } from '../setting-kinds.js';

export const STORAGE_SETTINGS = {
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
  dbPoolSize: int({ env: 'HUB_DB_POOL_SIZE', doc: 'PostgreSQL connections per process', default: 20, min: 1, max: 1000 }),
} satisfies Record<string, Setting<unknown>>;

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
