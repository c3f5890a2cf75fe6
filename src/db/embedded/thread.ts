/**
 * Entry of the embedded database's worker thread (started by host.ts).
 * PGlite, pglite-socket's protocol handler, the session scheduler and the
 * notification router all run here, so a long statement or a burst of queue
 * traffic never holds up the HTTP front and the workers on the hub's thread.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { linkPglite } from './link.js';
import { threadMemory } from './memory.js';
import { openPglite } from './open.js';
import { PortStream } from './port-stream.js';
import type { FromThread, ToThread, ThreadOptions } from './protocol.js';

const options = workerData as ThreadOptions;
const parent = parentPort as MessagePort;
const tell = (message: FromThread) => parent.postMessage(message);

async function open() {
  const db = await openPglite(options);
  // PGlite is one session shared by every connection: BullMQ's schema
  // must be on the path for all of them (its pool-level search_path is ignored).
  await db.exec(`set search_path to public, ${options.queuePrefix}`);
  const link = linkPglite(db, {
    idleTransactionMs: options.idleTransactionMs,
    onIdleTransaction: (connection) => tell({ type: 'idle-transaction', connection }),
  });
  return { db, link };
}

open().then(
  ({ db, link }) => {
    parent.on('message', (message: ToThread) => {
      if (message.type === 'connect') link.attach(new PortStream(message.port, { ownsWrites: true }));
      else if (message.type === 'memory') tell({ type: 'memory', ...threadMemory(db) });
      else if (message.type === 'close') {
        // Ends every connection (rolling back an open transaction), then lets PGlite flush and close its files.
        void link
          .close()
          .then(() => db.close())
          .then(
            () => tell({ type: 'closed' }),
            (err: unknown) => tell({ type: 'closed', error: String((err as Error)?.stack ?? err) }),
          )
          .finally(() => parent.close());
      }
    });
    tell({ type: 'ready' });
  },
  (err: unknown) => {
    tell({ type: 'failed', error: String((err as Error)?.stack ?? err) });
    parent.close();
  },
);
