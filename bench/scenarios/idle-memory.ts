import { createHub, type Backend } from '../lib/hub.js';
import type { BenchContext, Row } from '../lib/context.js';

/** What the hub's "hub started" line says, as a short note; absent on a hub that logs no breakdown. */
function breakdown(memory: Record<string, number>): string {
  const parts = [
    ['heapUsedMb', 'V8 heap used'],
    ['arrayBuffersMb', 'array buffers'],
    ['externalMb', 'external'],
    ['pgliteWasmMb', 'PGlite WASM memory'],
    ['pgliteWasmResidentMb', 'of it resident'],
    ['dbThreadHeapMb', 'db thread heap'],
  ].filter(([key]) => memory[key] !== undefined);
  return parts.length ? `at start: ${parts.map(([key, label]) => `${label} ${memory[key]} MB`).join(', ')}` : 'no breakdown logged';
}

/**
 * The embedded hub idle, right after it became healthy: on its very first
 * start (fresh data directory: initdb) and after a restart on the same
 * directory. RSS from /proc; the breakdown from the hub's start-up log line.
 */
export async function idleMemory(ctx: BenchContext, backend: Backend): Promise<Row[]> {
  const hub = await createHub({ backend, label: `idle-${backend.replace('+', '-')}`, env: { ...ctx.hubEnv, LOG_LEVEL: 'info' } });
  const rows: Row[] = [];
  try {
    for (const [start, limit] of [
      ['first start', 350],
      ['restart', 250],
    ] as const) {
      await hub.start(180_000);
      const { rssMb } = hub.memory();
      const memory = hub.startMemory();
      ctx.log(`  ${start}: RSS ${rssMb.toFixed(0)} MB; ${breakdown(memory)}`);
      rows.push({
        scenario: 'idle memory',
        backend,
        n: 0,
        metric: `RSS MB after ${start}`,
        hub: rssMb,
        baseline: null,
        baselineLabel: '',
        ratio: null,
        ...(backend === 'embedded' ? { target: `<= ${limit} MB`, met: rssMb <= limit } : {}),
        note: breakdown(memory),
      });
      await hub.stop();
    }
  } finally {
    await hub.destroy();
  }
  return rows;
}
