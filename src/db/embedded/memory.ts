import fs from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { ThreadMemory } from './protocol.js';

/** The PGlite thread's memory: its V8 heap, and PGlite's WebAssembly memory, allocated and resident. */
export function threadMemory(db: PGlite): ThreadMemory {
  const { heapUsed, external } = process.memoryUsage();
  const wasm = wasmBytes(db);
  return { heapUsed, external, wasm, wasmResident: residentBytes(wasm) };
}

/** PGlite's WebAssembly heap (its Emscripten module is not part of the typed API, hence the guarded read). */
function wasmBytes(db: PGlite): number {
  return (db as unknown as { mod?: { HEAPU8?: Uint8Array } }).mod?.HEAPU8?.byteLength ?? 0;
}

const MAPPING = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)/;

/**
 * How much of the WebAssembly memory is in RAM, from /proc/self/smaps (Linux; 0 elsewhere). The memory
 * only grows, but pages PostgreSQL never touched take no RAM. V8 maps it as a read-write anonymous
 * mapping of exactly its size followed, at once, by the inaccessible rest of its reservation of several
 * GiB (its guard region): that pair is how it is told from the process's other mappings.
 */
function residentBytes(wasm: number): number {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return 0;
  }
  const guardedAtLeast = 4n * 2n ** 30n;
  let previous: { end: bigint; size: bigint; wasmLike: boolean; rssKb: number } | undefined;
  for (const line of text.split('\n')) {
    const head = MAPPING.exec(line);
    if (head) {
      const [, from, to, perms, inode] = head;
      const start = BigInt(`0x${from}`);
      const end = BigInt(`0x${to}`);
      if (previous?.wasmLike && previous.end === start && perms === '---p' && previous.size + end - start >= guardedAtLeast) {
        return previous.rssKb * 1024;
      }
      const size = end - start;
      previous = { end, size, wasmLike: perms === 'rw-p' && inode === '0' && size === BigInt(wasm), rssKb: 0 };
    } else if (previous && line.startsWith('Rss:')) previous.rssKb = Number.parseInt(line.slice(4), 10);
  }
  return 0;
}
