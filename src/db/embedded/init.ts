/**
 * Entry of the short-lived process that creates a fresh embedded database
 * (started by host.ts on a first start): it runs initdb, closes
 * PGlite (flushing it) and exits. initdb grows the memory of whoever runs it
 * by several hundred MB; a process gives all of it back to the system when
 * it exits, where a worker thread's native heap stays with the hub.
 * Its one argument is the JSON of OpenOptions.
 */
import { openPglite, type OpenOptions } from './open.js';

const options = JSON.parse(process.argv[2] ?? '{}') as OpenOptions;
openPglite(options)
  .then((db) => db.close())
  .then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
      process.exit(1);
    },
  );
