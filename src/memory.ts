import type { Database } from './db/index.js';

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * This process's memory in MB, with the embedded database thread's share
 * (its heap, and PGlite's WebAssembly memory, which only grows: its size and
 * how much of it is resident): logged at start so an operator, and the
 * bench, can see where the resident set goes.
 */
export async function memoryBreakdown(db: Database): Promise<Record<string, number>> {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const thread = await db.threadMemory?.();
  return {
    rssMb: mb(rss),
    heapUsedMb: mb(heapUsed),
    externalMb: mb(external),
    arrayBuffersMb: mb(arrayBuffers),
    ...(thread
      ? {
          dbThreadHeapMb: mb(thread.heapUsed),
          dbThreadExternalMb: mb(thread.external),
          pgliteWasmMb: mb(thread.wasm),
          pgliteWasmResidentMb: mb(thread.wasmResident),
        }
      : {}),
  };
}
