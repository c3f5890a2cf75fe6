import type { MessagePort } from 'node:worker_threads';
import type { OpenOptions } from './open.js';

/** What the hub's thread gives the PGlite thread at start (its workerData). */
export interface ThreadOptions extends OpenOptions {
  queuePrefix: string;
  idleTransactionMs: number;
}

/** Messages from the hub's thread: a new connection's port, a memory reading, or the order to close. */
export type ToThread = { type: 'connect'; port: MessagePort } | { type: 'memory' } | { type: 'close' };

/**
 * The thread's own memory, in bytes: its V8 heap, and PGlite's WebAssembly memory (an ArrayBuffer that
 * only grows), allocated and resident (0 where /proc/self/smaps cannot tell).
 */
export interface ThreadMemory {
  heapUsed: number;
  external: number;
  wasm: number;
  wasmResident: number;
}

/** Messages from the PGlite thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'idle-transaction'; connection: number }
  | ({ type: 'memory' } & ThreadMemory)
  | { type: 'closed'; error?: string };
