import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { keepWasmOnBaselineCompiler } from '../../process-setup.js';

/** What opening the embedded database needs, in the PGlite thread and in the first start's initdb process alike. */
export interface OpenOptions {
  /** PGlite's data directory. */
  dir: string;
  /** PostgreSQL's shared_buffers, in MiB (HUB_DB_SHARED_BUFFERS_MB). */
  sharedBuffersMb: number;
  /** Run the process's WebAssembly on V8's baseline compiler alone (HUB_DB_WASM_BASELINE_ONLY). */
  wasmBaselineOnly: boolean;
}

/**
 * Opens (on a fresh directory: creates) PGlite in `dir`. Its settings come
 * as start parameters, so they hold for a directory made by an older
 * version too: initdb writes shared_buffers = 128MB into postgresql.conf,
 * and PostgreSQL fills that much of PGlite's WebAssembly memory when it
 * starts, which made it most of an idle hub's resident memory.
 */
export async function openPglite(options: OpenOptions): Promise<PGlite> {
  await fs.mkdir(options.dir, { recursive: true });
  if (options.wasmBaselineOnly) keepWasmOnBaselineCompiler();
  return PGlite.create(options.dir, {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffersMb}MB`],
  });
}

/**
 * Whether HUB_DB_WASM_BASELINE_ONLY can take effect in this process. From
 * Node 22 on, V8 ignores --liftoff-only set once running (seen on Node 24:
 * PostgreSQL's functions were optimised all the same), so there node must be
 * started with the flag itself (`NODE_OPTIONS=--liftoff-only`).
 */
export function baselineOnlyTakesEffect(nodeVersion: string, execArgv: string[], nodeOptions: string | undefined): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].includes('--liftoff-only');
  return given || Number(/^v(\d+)/.exec(nodeVersion)?.[1]) < 22;
}
