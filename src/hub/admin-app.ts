import express from 'express';
import type { Deps } from '../deps.js';
import { consoleRouter } from '../admin/index.js';
import { HubError } from '../errors.js';
import { adminRouter } from '../admin/index.js';
import { errorMiddleware } from './error-middleware.js';
import { inertResponses } from './read-headers.js';
import { trustProxy } from './trust-proxy.js';

/** Mounts the HTML console and the JSON admin API; the console first, since the API's bearer check covers the rest of /admin. */
export function mountAdmin(app: express.Express, deps: Deps): void {
  app.use('/admin/ui', consoleRouter(deps));
  app.use('/admin', adminRouter(deps));
}

/**
 * The console and the admin API alone, for HUB_ADMIN_PORT's listener: on an
 * origin of their own, nothing the front serves (topics publishers wrote)
 * shares the console's origin (issue 20, item 1).
 */
export function createAdminApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy(deps.config));
  app.use(inertResponses());
  mountAdmin(app, deps);
  app.use((req, _res, next) => next(new HubError(req.method === 'GET' ? 'HUB_ERR_NOT_FOUND' : 'HUB_ERR_METHOD')));
  app.use(errorMiddleware(deps.log));
  return app;
}
