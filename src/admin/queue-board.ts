import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type express from 'express';
import helmet from 'helmet';
import type { Deps } from '../deps.js';
import { QUEUE_NAMES } from '../queue/index.js';

/**
 * bull-board's queue browser (jobs, their data, errors and attempts), read-only:
 * the console's own confirmed actions are how operators change things. It works
 * on both queue backends (bull-board 9 reads BullMQ's PostgreSQL backend too).
 * Its UI is a prebuilt React app: scripts from its own files (no inline script),
 * inline styles allowed here only, and its web font is not fetched.
 */
export function queueBoard(deps: Deps, basePath: string): { headers: express.RequestHandler; router: express.Router } {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.queues[name], { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Crier queues' } },
  });
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
      },
    },
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  return { headers, router: serverAdapter.getRouter() as express.Router };
}
