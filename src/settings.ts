import { type Prior, type Setting } from './setting-kinds.js';
import { ADMIN_SETTINGS } from './settings/admin.js';
import { DELIVERY_SETTINGS } from './settings/delivery.js';
import { FETCH_SETTINGS } from './settings/fetch.js';
import { FRONT_SETTINGS } from './settings/front.js';
import { OUTBOUND_SETTINGS } from './settings/outbound.js';
import { PROCESS_SETTINGS } from './settings/process.js';
import { QUEUE_SETTINGS } from './settings/queue.js';
import { STORAGE_SETTINGS } from './settings/storage.js';
import { SUBSCRIPTION_SETTINGS } from './settings/subscriptions.js';
import { UPDATE_SETTINGS } from './settings/updates.js';

/**
 * Every setting Crier reads from the environment, in the order they are read (a default may follow an
 * earlier setting: HUB_HOST follows HUB_ALLOW_PRIVATE_NETWORKS, HUB_METRICS_PORT follows HUB_ROLE), which
 * is also the order of `crier config` and of the README's configuration table. Each setting is declared
 * (variable, parser, default, documentation) in the module of src/settings/ that owns its concern; this
 * list only orders them. test/unit/config.test.ts checks the README against it.
 */
export const SETTINGS = {
  port: FRONT_SETTINGS.port,
  allowPrivateNetworks: FRONT_SETTINGS.allowPrivateNetworks,
  host: FRONT_SETTINGS.host,
  maxConnections: FRONT_SETTINGS.maxConnections,
  maxIdleConnectionsPerClient: FRONT_SETTINGS.maxIdleConnectionsPerClient,
  publicUrl: FRONT_SETTINGS.publicUrl,
  role: PROCESS_SETTINGS.role,
  databaseUrl: STORAGE_SETTINGS.databaseUrl,
  dataDir: STORAGE_SETTINGS.dataDir,
  redisUrl: STORAGE_SETTINGS.redisUrl,
  queuePrefix: QUEUE_SETTINGS.queuePrefix,
  allowedPorts: OUTBOUND_SETTINGS.allowedPorts,
  topicAllow: SUBSCRIPTION_SETTINGS.topicAllow,
  leaseMinSeconds: SUBSCRIPTION_SETTINGS.leaseMinSeconds,
  leaseDefaultSeconds: SUBSCRIPTION_SETTINGS.leaseDefaultSeconds,
  leaseMaxSeconds: SUBSCRIPTION_SETTINGS.leaseMaxSeconds,
  reconfirmPercent: SUBSCRIPTION_SETTINGS.reconfirmPercent,
  retryBaseMs: DELIVERY_SETTINGS.retryBaseMs,
  maxAttempts: DELIVERY_SETTINGS.maxAttempts,
  maxContentBytes: FETCH_SETTINGS.maxContentBytes,
  parseBudgetMs: FETCH_SETTINGS.parseBudgetMs,
  updateIgnore: FETCH_SETTINGS.updateIgnore,
  dbIdleTransactionMs: STORAGE_SETTINGS.dbIdleTransactionMs,
  dbSharedBuffersMb: STORAGE_SETTINGS.dbSharedBuffersMb,
  dbWasmBaselineOnly: STORAGE_SETTINGS.dbWasmBaselineOnly,
  maxRequestBytes: FRONT_SETTINGS.maxRequestBytes,
  maxPublishUrls: FRONT_SETTINGS.maxPublishUrls,
  rateLimitPerMinute: FRONT_SETTINGS.rateLimitPerMinute,
  corsOrigins: FRONT_SETTINGS.corsOrigins,
  trustProxy: FRONT_SETTINGS.trustProxy,
  adminToken: ADMIN_SETTINGS.adminToken,
  metricsToken: ADMIN_SETTINGS.metricsToken,
  adminAuthFailuresPerMinute: ADMIN_SETTINGS.adminAuthFailuresPerMinute,
  metricsPort: ADMIN_SETTINGS.metricsPort,
  adminPort: ADMIN_SETTINGS.adminPort,
  secretKeys: DELIVERY_SETTINGS.secretKeys,
  connectTimeoutMs: OUTBOUND_SETTINGS.connectTimeoutMs,
  requestTimeoutMs: OUTBOUND_SETTINGS.requestTimeoutMs,
  deliverPageSize: DELIVERY_SETTINGS.deliverPageSize,
  deliverConcurrency: DELIVERY_SETTINGS.deliverConcurrency,
  originConnections: DELIVERY_SETTINGS.originConnections,
  deliverJobs: DELIVERY_SETTINGS.deliverJobs,
  seenEntriesMax: FETCH_SETTINGS.seenEntriesMax,
  seenEntriesDays: FETCH_SETTINGS.seenEntriesDays,
  signatureAlgorithm: DELIVERY_SETTINGS.signatureAlgorithm,
  syncVerifyTimeoutMs: SUBSCRIPTION_SETTINGS.syncVerifyTimeoutMs,
  replayPerHour: SUBSCRIPTION_SETTINGS.replayPerHour,
  fetchConcurrency: FETCH_SETTINGS.fetchConcurrency,
  fetchPerHost: FETCH_SETTINGS.fetchPerHost,
  fetchMinIntervalSeconds: FETCH_SETTINGS.fetchMinIntervalSeconds,
  poll: FETCH_SETTINGS.poll,
  pollMinSeconds: FETCH_SETTINGS.pollMinSeconds,
  pollMaxSeconds: FETCH_SETTINGS.pollMaxSeconds,
  pollPerHost: FETCH_SETTINGS.pollPerHost,
  pollHostSpacingMs: FETCH_SETTINGS.pollHostSpacingMs,
  pollBatch: FETCH_SETTINGS.pollBatch,
  fetchMinBytesPerSecond: FETCH_SETTINGS.fetchMinBytesPerSecond,
  fetchAttempts: FETCH_SETTINGS.fetchAttempts,
  pageAttempts: DELIVERY_SETTINGS.pageAttempts,
  sweepIntervalMs: QUEUE_SETTINGS.sweepIntervalMs,
  queueDrainDelaySeconds: QUEUE_SETTINGS.queueDrainDelaySeconds,
  queueDbConnections: QUEUE_SETTINGS.queueDbConnections,
  secretCacheEntries: DELIVERY_SETTINGS.secretCacheEntries,
  historyEntries: UPDATE_SETTINGS.historyEntries,
  historyDays: UPDATE_SETTINGS.historyDays,
  retrieveMaxBytes: UPDATE_SETTINGS.retrieveMaxBytes,
  maxStreams: UPDATE_SETTINGS.maxStreams,
  maxStreamsPerClient: UPDATE_SETTINGS.maxStreamsPerClient,
  streamHeartbeatMs: UPDATE_SETTINGS.streamHeartbeatMs,
  dbPoolSize: STORAGE_SETTINGS.dbPoolSize,
  shutdownTimeoutMs: PROCESS_SETTINGS.shutdownTimeoutMs,
  circuitMinAttempts: OUTBOUND_SETTINGS.circuitMinAttempts,
  circuitCooldownMs: OUTBOUND_SETTINGS.circuitCooldownMs,
  jobLockMs: QUEUE_SETTINGS.jobLockMs,
  logLevel: PROCESS_SETTINGS.logLevel,
} satisfies Record<keyof AllSettings, Setting<unknown>>;

/** Every declared setting, so that SETTINGS must list each one (and nothing else). */
type AllSettings = typeof FRONT_SETTINGS &
  typeof PROCESS_SETTINGS &
  typeof STORAGE_SETTINGS &
  typeof QUEUE_SETTINGS &
  typeof SUBSCRIPTION_SETTINGS &
  typeof DELIVERY_SETTINGS &
  typeof OUTBOUND_SETTINGS &
  typeof FETCH_SETTINGS &
  typeof ADMIN_SETTINGS &
  typeof UPDATE_SETTINGS;

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
