import { performance } from 'node:perf_hooks';
import type { Row } from './context.js';

export interface HealthLatency {
  p50: number;
  p99: number;
  max: number;
  polls: number;
  /** Answers other than 200, and requests that failed. */
  failures: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Polls the hub's `/healthz` every `intervalMs` (one request at a time, as a
 * load balancer's probe would) until stopped, and reports the latency
 * percentiles: how long the front keeps a client waiting while the hub works.
 */
export function pollHealth(hubUrl: string, intervalMs = 20): { stop(): Promise<HealthLatency> } {
  const samples: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const ok = await fetch(new URL('healthz', hubUrl)).then(
        async (res) => (await res.arrayBuffer(), res.status === 200),
        () => false,
      );
      const took = performance.now() - start;
      samples.push(took);
      if (!ok) failures++;
      if (took < intervalMs) await new Promise((resolve) => setTimeout(resolve, intervalMs - took));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const sorted = [...samples].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, polls: sorted.length, failures };
    },
  };
}

/** /healthz latency on the idle hub, the baseline a busy hub's figure is read against. */
export async function idleHealth(hubUrl: string, polls = 50, intervalMs = 20): Promise<HealthLatency> {
  const poller = pollHealth(hubUrl, intervalMs);
  await new Promise((resolve) => setTimeout(resolve, polls * intervalMs));
  return poller.stop();
}

/** The table row for /healthz latency while the hub worked, against the same hub idle. */
export function healthRow(scenario: string, backend: Row['backend'], n: number, busy: HealthLatency, idle: HealthLatency): Row {
  return {
    scenario: 'responsiveness',
    backend,
    n,
    metric: `/healthz p99 ms during ${scenario}`,
    hub: busy.p99,
    baseline: idle.p99,
    baselineLabel: 'ms p99 idle',
    ratio: busy.p99 / idle.p99,
    ...(backend === 'embedded' ? { target: 'p99 < 50 ms', met: busy.p99 < 50 } : {}),
    note: `p50 ${busy.p50.toFixed(1)} ms (idle ${idle.p50.toFixed(1)}), max ${busy.max.toFixed(0)} ms, ${busy.polls} polls every 20 ms${busy.failures ? `, ${busy.failures} not 200` : ''}`,
  };
}
