export { createMetrics } from './registry.js';
export type { Metrics, FetchOutcome, DeliveryOutcome, VerificationOutcome, RequestMode } from './registry.js';
export { watchQueues } from './queue-depth.js';
export { checkScraper, metricsRoute, startMetricsServer } from './endpoint.js';
export type { MetricsServer } from './endpoint.js';
