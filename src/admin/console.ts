import crypto from 'node:crypto';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Deps } from '../deps.js';
import { isConsoleSignedOut, recordConsoleSignOut } from '../db/index.js';
import { HubError } from '../errors.js';
import { createAuthThrottle, type AuthThrottle } from '../hub/auth-throttle.js';
import type { Logger } from '../log.js';
import { ACTIONS, describeTarget, resolveTarget, type Action } from './actions.js';
import { overviewPage, queueJobsPage, queuesPage, subscriptionPage, subscriptionsPage, topicPage, topicsPage } from './pages.js';
import { createConsoleSession, type ConsoleSession } from './session.js';
import { CONSOLE_DIR, createViews } from './views.js';

/**
 * The admin console: server-rendered pages under /admin/ui (the JSON API stays
 * under /admin with its bearer token). Sign-in with HUB_ADMIN_TOKEN sets a
 * session cookie; every POST carries a CSRF token (csrf-csrf's double submit,
 * bound to the session); helmet sets a Content-Security-Policy that allows no
 * script at all. Off (404) when HUB_ADMIN_TOKEN is unset.
 */
export function consoleRouter(deps: Deps, base = '/admin/ui'): express.Router {
  const router = express.Router();
  const token = deps.config.adminToken;
  if (!token) {
    router.use((_req, _res, next) => next(new HubError('HUB_ERR_NOT_FOUND')));
    return router;
  }
  const log = deps.log.child({ module: 'console' });
  const session = createConsoleSession(token, deps.config.publicUrl, base);
  const views = createViews();
  const throttle = createAuthThrottle(deps, 'admin');
  const csrf = doubleCsrf({
    getSecret: () => session.derive('csrf'),
    getSessionIdentifier: (req) => session.current(req) ?? '',
    cookieName: session.secure ? '__Secure-crier_csrf' : 'crier_csrf',
    cookieOptions: { sameSite: 'strict', path: base, secure: session.secure, httpOnly: true },
    getCsrfTokenFromRequest: (req) => formField(req, '_csrf'),
  });

  // A signed-out cookie is refused by every web process: its hash is in the shared database until it expires.
  const cookieHash = (cookie: string) => crypto.createHash('sha256').update(cookie).digest('hex');
  const liveSession = async (req: Request, res: Response, next: NextFunction) => {
    const cookie = session.current(req);
    res.locals.session = cookie !== undefined && !(await isConsoleSignedOut(deps.db.pool, cookieHash(cookie))) ? cookie : undefined;
    next();
  };
  const signedIn = (res: Response) => typeof res.locals.session === 'string';
  const requireSession = (req: Request, res: Response, next: NextFunction) => {
    if (signedIn(res)) return next();
    if (req.method === 'GET') return res.redirect(303, `${base}/sign-in`);
    next(new HubError('HUB_ERR_CONSOLE_SIGN_IN'));
  };
  const checkCsrf = (req: Request, res: Response, next: NextFunction) => {
    csrf.doubleCsrfProtection(req, res, (err?: unknown) => next(err ? new HubError('HUB_ERR_CSRF') : undefined));
  };

  router.use(consoleHelmet(session.secure));
  router.get('/console.css', (_req, res) => {
    res.sendFile(path.join(CONSOLE_DIR, 'public', 'console.css'), { maxAge: '1h' });
  });
  router.use(cookieParser(), liveSession);
  router.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const render: Render = (req, res, name, data, status = 200) => {
    const csrfToken = signedIn(res) ? csrf.generateCsrfToken(req, res, { overwrite: false }) : '';
    res
      .status(status)
      .type('html')
      .send(views.render(name, { base, signedIn: signedIn(res), csrf: csrfToken, ...data }));
  };

  router.get('/sign-in', (req, res) => render(req, res, 'sign-in', { error: undefined }));
  router.post('/sign-in', signIn(session, throttle, log, base, render));

  // Everything below needs a session: pages send the browser to sign in, anything else is refused.
  router.use(requireSession, checkCsrf);

  router.post('/sign-out', async (req, res) => {
    const cookie = res.locals.session as string;
    await recordConsoleSignOut(deps.db.pool, cookieHash(cookie), session.expiresAt(cookie));
    session.end(res);
    log.info({ ip: req.ip }, 'console sign-out');
    res.redirect(303, `${base}/sign-in`);
  });

  mountPages(router, deps, render);
  mountActions(router, deps, { base, log, render });
  router.use((_req, _res, next) => next(new HubError('HUB_ERR_NOT_FOUND')));
  return router;
}

/** Renders a console view with what every page needs (base path, signed in, CSRF token). */
type Render = (req: Request, res: Response, name: string, data: Record<string, unknown>, status?: number) => void;

/** The pages' headers: a Content-Security-Policy that allows no script at all, HSTS on HTTPS, no referrer. */
function consoleHelmet(secure: boolean) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: secure,
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** `POST /sign-in`: checks the token (through the throttle) and starts a session. */
function signIn(session: ConsoleSession, throttle: AuthThrottle, log: Logger, base: string, render: Render) {
  return async (req: Request, res: Response) => {
    const given = formField(req, 'token');
    // Wrong tokens are counted and logged by the throttle (once per window, not once per try).
    const right = await throttle
      .attempt(req.ip, () => given !== undefined && session.tokenMatches(given))
      .catch((err: unknown) => {
        if (!(err instanceof HubError) || err.code !== 'HUB_ERR_AUTH_THROTTLED') throw err;
        res.setHeader('Retry-After', String(err.details?.retryAfter));
        return err;
      });
    if (right instanceof HubError)
      return render(req, res, 'sign-in', { error: `Too many wrong tokens from this address; retry in ${res.get('Retry-After')} s.` }, 429);
    if (!right) return render(req, res, 'sign-in', { error: 'That is not the admin token.' }, 401);
    session.start(res);
    log.info({ ip: req.ip }, 'console sign-in');
    res.redirect(303, `${base}/`);
  };
}

/** The console's pages, each with the notice of the action just run where it has one. */
function mountPages(router: express.Router, deps: Deps, render: Render): void {
  // `done` names the action just run; only the table's own keys count (`constructor` is on every object).
  const notice = (req: Request) => {
    const done = req.query.done;
    if (done === undefined) return undefined;
    if (typeof done !== 'string' || !Object.hasOwn(ACTIONS, done))
      throw new HubError('HUB_ERR_CONSOLE_INPUT', 'done names no console action');
    return `Done: ${ACTIONS[done].title.toLowerCase()}.`;
  };
  router.get('/', async (req, res) => render(req, res, 'overview', { ...(await overviewPage(deps)), notice: notice(req) }));
  router.get('/topics', async (req, res) => render(req, res, 'topics', await topicsPage(deps, req)));
  router.get('/topics/:id', async (req, res) => render(req, res, 'topic', { ...(await topicPage(deps, req)), notice: notice(req) }));
  router.get('/subscriptions', async (req, res) =>
    render(req, res, 'subscriptions', { ...(await subscriptionsPage(deps, req)), notice: notice(req) }),
  );
  router.get('/subscriptions/:id', async (req, res) =>
    render(req, res, 'subscription', { ...(await subscriptionPage(deps, req)), notice: notice(req) }),
  );
  router.get('/queues', async (req, res) => render(req, res, 'queues', await queuesPage(deps)));
  router.get('/queues/:name/:state', async (req, res) => render(req, res, 'queue-jobs', await queueJobsPage(deps, req)));
}

/** Each action is a GET confirm page whose form POSTs it: no script needed, and nothing changes on a GET. */
function mountActions(router: express.Router, deps: Deps, { base, log, render }: { base: string; log: Logger; render: Render }): void {
  const actionOf = (req: Request): Action => {
    const action = Object.hasOwn(ACTIONS, req.params.action as string) ? ACTIONS[req.params.action as string] : undefined;
    if (!action) throw new HubError('HUB_ERR_NOT_FOUND', 'no such console action');
    return action;
  };
  router.get('/confirm/:action', async (req, res) => {
    const action = actionOf(req);
    const described = describeTarget(await resolveTarget(deps, action, req.query));
    render(req, res, 'confirm', { action, target: described.text, fields: described.fields, back: `${base}${described.page}` });
  });
  router.post('/actions/:action', async (req, res) => {
    const action = actionOf(req);
    const target = await resolveTarget(deps, action, form(req));
    const described = describeTarget(target);
    const outcome = await action.run(deps, target);
    log.info({ action: action.name, target: described.fields, ip: req.ip, outcome }, 'console action');
    const page = action.name === 'end-subscription' ? '/subscriptions' : described.page;
    res.redirect(303, `${base}${page}${page.includes('?') ? '&' : '?'}done=${action.name}`);
  });
}

/** The parsed form body (express.urlencoded gives string values only), or no fields at all. */
function form(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

function formField(req: Request, name: string): string | undefined {
  const value = form(req)[name];
  return typeof value === 'string' ? value : undefined;
}
