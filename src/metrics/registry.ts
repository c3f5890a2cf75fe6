import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FETCH_SOURCES } from '../queue/index.js';

/**
 * Label values are closed sets: a label never holds a URL, id or message, so
 * the number of series stays fixed however many topics and callbacks a hub has.
 */
export const FETCH_OUTCOMES = ['new_content', 'unchanged', 'not_modified', 'failed'] as const;
export type FetchOutcome = (typeof FETCH_OUTCOMES)[number];
/** `deferred`: not attempted, the callback origin's circuit is open (no attempt is spent). */
export const DELIVERY_OUTCOMES = ['delivered', 'retrying', 'dropped', 'gone', 'deferred'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
export const VERIFICATION_OUTCOMES = ['confirmed', 'refused', 'failed', 'denied'] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];
export const REQUEST_MODES = ['subscribe', 'unsubscribe', 'publish', 'retrieve', 'replay', 'invalid'] as const;
export type RequestMode = (typeof REQUEST_MODES)[number];
export const CIRCUIT_KINDS = ['callback', 'topic'] as const;
export type CircuitKind = (typeof CIRCUIT_KINDS)[number];
export const STREAM_KINDS = ['stream', 'long_poll'] as const;

/** Seconds; deliveries and fetches on loopback take milliseconds, a slow callback up to the request timeout. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the scrape asks of the parts that keep their state in memory or in the queue backend. */
export type ScrapeCollector = () => Promise<void> | void;

export interface Metrics {
  /** This hub's own series (the process's are added by `text`). */
  registry: Registry;
  requests: Counter<'mode' | 'status'>;
  verifications: Counter<'outcome'>;
  fetches: Counter<'source' | 'outcome'>;
  fetchDuration: Histogram<'source'>;
  notifications: Counter;
  entries: Counter<'kind'>;
  deliveries: Counter<'outcome'>;
  deliveryDuration: Histogram;
  openCircuits: Gauge<'kind'>;
  queueJobs: Gauge<'queue' | 'state'>;
  queueOldestWaiting: Gauge<'queue'>;
  /** Open event streams and long-polls of this process; set by whoever holds them. */
  openStreams: Gauge<'kind'>;
  /** Label children bound once, so the hot paths only add to a number. */
  delivery: Record<DeliveryOutcome, Counter.Internal>;
  verification: Record<VerificationOutcome, Counter.Internal>;
  /** Runs `collect` on each scrape, before the text is made. */
  onScrape(collect: ScrapeCollector): void;
  /** Counts the circuits `count` reports as open at each scrape, under `kind`. */
  watchCircuits(kind: CircuitKind, count: () => number): void;
  /** Prometheus text exposition: the process's default metrics and this hub's. */
  text(): Promise<string>;
  contentType: string;
}

/*
 * Process metrics (CPU, memory, event loop, GC) describe the process, not a hub, and prom-client's
 * collector installs process-wide observers: one registry per process, however many hubs it runs
 * (tests run several). Created on first use.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Crier's metrics for one hub; built once in main.ts and passed in deps. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const collectors: ScrapeCollector[] = [];
  const circuitCounts: Array<[CircuitKind, () => number]> = [];
  const registers = [registry];
  // Series are registered, and so exposed, in this order: outcomes, then work, then state.
  const outcomes = outcomeSeries(registers, circuitCounts);
  const metrics: Metrics = {
    registry,
    ...outcomes,
    ...workSeries(registers),
    ...stateSeries(registers),
    delivery: Object.fromEntries(DELIVERY_OUTCOMES.map((o) => [o, outcomes.deliveries.labels(o)])) as Metrics['delivery'],
    verification: Object.fromEntries(VERIFICATION_OUTCOMES.map((o) => [o, outcomes.verifications.labels(o)])) as Metrics['verification'],
    onScrape(collect) {
      collectors.push(collect);
    },
    watchCircuits(kind, count) {
      circuitCounts.push([kind, count]);
    },
    async text() {
      await Promise.all(collectors.map(async (collect) => collect()));
      return `${await processMetrics().metrics()}\n${await registry.metrics()}`;
    },
    contentType: registry.contentType,
  };
  startAtZero(metrics);
  return metrics;
}

type Registers = Registry[];

/** Outcomes of deliveries and verifications, and the circuits open at each scrape. */
function outcomeSeries(registers: Registers, circuitCounts: Array<[CircuitKind, () => number]>) {
  const deliveries = new Counter({
    name: 'crier_deliveries_total',
    help: 'Delivery attempts to callbacks by outcome (deferred: postponed by an open circuit, not attempted)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const verifications = new Counter({
    name: 'crier_verifications_total',
    help: 'Verifications of intent by outcome (denied: the hub refused the topic and told the callback)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const openCircuits = new Gauge({
    name: 'crier_open_circuits',
    help: 'Circuits open or half-open in this process, per kind of origin (callback or topic)',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      for (const kind of CIRCUIT_KINDS) this.set({ kind }, 0);
      for (const [kind, count] of circuitCounts) this.inc({ kind }, count());
    },
  });
  return { deliveries, verifications, openCircuits };
}

/** What the hub does: requests answered, fetches, content found, delivery times. */
function workSeries(registers: Registers) {
  return {
    requests: new Counter({
      name: 'crier_requests_total',
      help: 'Requests to the hub endpoint (POST /) by hub.mode and HTTP status',
      labelNames: ['mode', 'status'] as const,
      registers,
    }),
    fetches: new Counter({
      name: 'crier_fetches_total',
      help: 'Topic fetches by what asked for them (ping, poll, subscribe) and outcome',
      labelNames: ['source', 'outcome'] as const,
      registers,
    }),
    fetchDuration: new Histogram({
      name: 'crier_fetch_duration_seconds',
      help: 'Time of a topic fetch (the HTTP GET and its body), by source',
      labelNames: ['source'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    notifications: new Counter({
      name: 'crier_notifications_total',
      help: 'New content found in topics and stored for delivery',
      registers,
    }),
    entries: new Counter({
      name: 'crier_entries_total',
      help: 'Feed entries found new or updated by fetches',
      labelNames: ['kind'] as const,
      registers,
    }),
    deliveryDuration: new Histogram({
      name: 'crier_delivery_duration_seconds',
      help: 'Time of one delivery POST to a callback, until its answer or failure',
      buckets: DURATION_BUCKETS,
      registers,
    }),
  };
}

/** What is waiting or held: queue depths and ages (read at scrape time) and open streams. */
function stateSeries(registers: Registers) {
  return {
    queueJobs: new Gauge({
      name: 'crier_queue_jobs',
      help: 'Jobs per queue and state, read from the queue backend at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    queueOldestWaiting: new Gauge({
      name: 'crier_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting to run per queue (0 when none waits), read at scrape time',
      labelNames: ['queue'] as const,
      registers,
    }),
    openStreams: new Gauge({
      name: 'crier_open_streams',
      help: 'Open event streams and long-polls held by this process',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}

/** Every series of a closed label set exists from the start: a rate() over a counter needs its zero. */
function startAtZero(metrics: Metrics): void {
  for (const kind of STREAM_KINDS) metrics.openStreams.set({ kind }, 0);
  for (const kind of ['new', 'updated']) metrics.entries.inc({ kind }, 0);
  for (const o of DELIVERY_OUTCOMES) metrics.delivery[o].inc(0);
  for (const o of VERIFICATION_OUTCOMES) metrics.verification[o].inc(0);
  for (const source of FETCH_SOURCES) for (const outcome of FETCH_OUTCOMES) metrics.fetches.inc({ source, outcome }, 0);
}
