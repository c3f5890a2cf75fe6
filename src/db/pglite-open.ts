import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';

/** What opening the embedded database needs, in the PGlite thread and in the first start's initdb process alike. */
export interface OpenOptions {
  /** PGlite's data directory. */
  dir: string;
  /** PostgreSQL's shared_buffers, in MiB (HUB_DB_SHARED_BUFFERS_MB). */
  sharedBuffersMb: number;
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
  return PGlite.create(options.dir, {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffersMb}MB`],
  });
}
