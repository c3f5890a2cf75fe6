import http from 'node:http';
import { Writable } from 'node:stream';
import { startTestHub, type Backend, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';

const ADMIN_TOKEN = '5c0e8f2a9b47d1e36a8c0b5f7d2e9a14';
const METRICS_TOKEN = 'Qm4-Zt8_xR2pLw7vNc3KyH9d';
const WRONG = '0b9f6e2d8c4a7b1e5d3f9a6c2e8b4d71';
/** The hub's clock stands in the middle of a minute, so the windows (and Retry-After) are known. */
const MID_MINUTE = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request from a chosen loopback address (each test is its own client: 127.0.0.2, .3, ...). */
function send(url: string, from: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, localAddress: from, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.once('error', reject);
    req.end(init.body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const signInForm = (token: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token }).toString(),
});

/** Issue 20, item 7: wrong admin and metrics tokens are throttled per client, in the shared database. */
describe.each<Backend>(['embedded', 'pg-redis'])('failed admin authentication on %s', (backend) => {
  let hub: TestHub;
  let now = MID_MINUTE;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logged = (msg: string, client: string) => lines.filter((l) => l.msg === msg && l.client === client);

  beforeAll(async () => {
    hub = await startTestHub(
      backend,
      { HUB_ADMIN_TOKEN: ADMIN_TOKEN, HUB_METRICS_TOKEN: METRICS_TOKEN, LOG_LEVEL: 'warn' },
      { logDestination: sink, clock: () => now },
    );
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
  });
  afterEach(() => {
    now = MID_MINUTE;
  });

  test('ten wrong bearer tokens a minute get 401, then every try 429 with Retry-After, the right token too, logged once', async () => {
    const from = '127.0.0.2';
    const status = `${hub.url}admin/status`;
    for (let i = 0; i < 10; i++) expect((await send(status, from, { headers: bearer(WRONG) })).status).toBe(401);
    for (let i = 0; i < 5; i++) {
      const refused = await send(status, from, { headers: bearer(WRONG) });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('30');
      expect(refused.text).toBe('more than 10 wrong tokens a minute from this address; retry in 30s\n');
    }
    // Not even checked: a right guess looks exactly like a wrong one.
    expect((await send(status, from, { headers: bearer(ADMIN_TOKEN) })).status).toBe(429);
    // The console's sign-in checks the same token, so the same count closes it.
    const signIn = await send(`${hub.url}admin/ui/sign-in`, from, signInForm(ADMIN_TOKEN));
    expect(signIn.status).toBe(429);
    expect(signIn.headers['set-cookie']).toBeUndefined();
    // Another client, and the metrics token (a secret of its own), are not held back.
    expect((await send(status, '127.0.0.3', { headers: bearer(ADMIN_TOKEN) })).status).toBe(200);
    expect((await send(`${hub.url}metrics`, from, { headers: bearer(METRICS_TOKEN) })).status).toBe(200);

    expect(logged('admin authentication failed', from)).toHaveLength(1);
    expect(logged('admin authentication throttled', from)).toEqual([expect.objectContaining({ scope: 'admin', limit: 10 })]);

    now += 60_000;
    expect((await send(status, from, { headers: bearer(ADMIN_TOKEN) })).status).toBe(200);
  });

  test('the console sign-in form answers 401 ten times, then 429 with Retry-After and no session', async () => {
    const from = '127.0.0.4';
    const url = `${hub.url}admin/ui/sign-in`;
    for (let i = 0; i < 10; i++) expect((await send(url, from, signInForm(WRONG))).status).toBe(401);
    const refused = await send(url, from, signInForm(ADMIN_TOKEN));
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.text).toContain('Too many wrong tokens from this address; retry in 30 s.');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(logged('admin authentication throttled', from)).toHaveLength(1);

    now += 60_000;
    expect((await send(url, from, signInForm(ADMIN_TOKEN))).status).toBe(303);
  });

  test('right tokens are not counted: a client that signs in often is never throttled', async () => {
    const from = '127.0.0.5';
    for (let i = 0; i < 25; i++) expect((await send(`${hub.url}admin/status`, from, { headers: bearer(ADMIN_TOKEN) })).status).toBe(200);
    expect(logged('admin authentication failed', from)).toHaveLength(0);
  });

  test('/metrics: ten wrong bearer tokens, then 429 with Retry-After for any token', async () => {
    const from = '127.0.0.6';
    const url = `${hub.url}metrics`;
    for (let i = 0; i < 10; i++) expect((await send(url, from, { headers: bearer(WRONG) })).status).toBe(401);
    const refused = await send(url, from, { headers: bearer(METRICS_TOKEN) });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(logged('admin authentication throttled', from)).toEqual([expect.objectContaining({ scope: 'metrics' })]);
  });
});
