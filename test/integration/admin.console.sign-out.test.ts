import { provisionBackend, startTestHub, type TestHub } from '../helpers/hub.js';
import { signInConsole } from '../helpers/console.js';

const TOKEN = '6f1d93b0c2a84e57b9d03c6a1e8f4b27';

/** Fetches a console path with exactly the given Cookie header, as someone holding a copy of it would. */
async function withCookie(hub: TestHub, path: string, cookie: string, form?: Record<string, string>) {
  const res = await fetch(new URL(`/admin/ui${path}`, hub.url), {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

/** Issue 20, item 7: sign-out ends the session on the server, not only in the browser. */
describe('console sign-out', () => {
  test('on the embedded backend, a cookie copied before sign-out is refused after it', async () => {
    const hub = await startTestHub('embedded', { HUB_ADMIN_TOKEN: TOKEN });
    try {
      const ui = await signInConsole(hub.url, TOKEN);
      const page = await ui.get('/topics');
      // The session and CSRF cookies as the browser holds them, copied before sign-out.
      const copied = ui.cookie();
      expect((await withCookie(hub, '/topics', copied)).status).toBe(200);
      expect((await ui.post('/sign-out', { _csrf: csrfOf(page.text) })).status).toBe(303);

      expect(await withCookie(hub, '/topics', copied)).toMatchObject({ status: 303, location: '/admin/ui/sign-in' });
      // Nor can the copy act, even with the CSRF token its page carried.
      const act = await withCookie(hub, '/actions/pause-topic', copied, { _csrf: csrfOf(page.text), topic: '1' });
      expect(act).toMatchObject({ status: 401, text: 'sign in to the admin console first\n' });
      // Signing in again starts a new session that works.
      const again = await signInConsole(hub.url, TOKEN);
      expect((await again.get('/topics')).status).toBe(200);
    } finally {
      await hub.stop();
    }
  });

  test('on PostgreSQL, a sign-out on one web process is honoured by another on the same database', async () => {
    const shared = await provisionBackend('pg-redis');
    const env = { HUB_ADMIN_TOKEN: TOKEN, HUB_ROLE: 'web' };
    const one = await startTestHub('pg-redis', env, { shared });
    const two = await startTestHub('pg-redis', env, { shared });
    try {
      const ui = await signInConsole(one.url, TOKEN);
      const page = await ui.get('/');
      const copied = ui.cookie();
      expect((await withCookie(two, '/', copied)).status).toBe(200);
      expect((await ui.post('/sign-out', { _csrf: csrfOf(page.text) })).status).toBe(303);
      expect(await withCookie(two, '/', copied)).toMatchObject({ status: 303, location: '/admin/ui/sign-in' });
      expect(await withCookie(one, '/', copied)).toMatchObject({ status: 303, location: '/admin/ui/sign-in' });
      expect(await one.query('select expires_at from console_sign_outs')).toEqual([{ expires_at: expect.any(Date) }]);
    } finally {
      await one.stop();
      await two.stop();
      await shared.cleanup();
    }
  });
});
