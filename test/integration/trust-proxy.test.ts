import http from 'node:http';
import os from 'node:os';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';

const MID_MINUTE = Date.UTC(2030, 0, 1, 12, 0, 30);

/**
 * A local address that is not loopback, to stand for a client on another
 * machine: a connection from it to the hub's 127.0.0.1 stays on this host
 * (the kernel's loopback device), yet the hub sees a remote peer.
 */
function remoteLikeAddress(): string {
  const found = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  if (!found) throw new Error('this test needs a non-loopback IPv4 address on this machine to stand for a remote client');
  return found.address;
}

/** A request to the hub from `localAddress`; status and body. */
function requestFrom(
  localAddress: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

// Issue 20, item 10: with HUB_TRUST_PROXY listing the proxies, only they may say who the client is.
describe('HUB_TRUST_PROXY as a list of proxies (loopback here: a proxy on the same machine)', () => {
  let hub: TestHub;
  let remote: string;

  beforeAll(async () => {
    remote = remoteLikeAddress();
    hub = await startTestHub(
      'pg-redis',
      { HUB_ROLE: 'web', HUB_TRUST_PROXY: 'loopback', HUB_RATE_LIMIT_PER_MINUTE: '3' },
      {
        clock: () => MID_MINUTE,
      },
    );
  }, HUB_START_TIMEOUT);
  afterAll(() => hub?.stop());

  test('a direct client sending X-Forwarded-For: 127.0.0.1 does not read /metrics; the proxy passing on a remote client does not either', async () => {
    const metrics = `${hub.url}metrics`;
    const direct = await requestFrom(remote, metrics, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(direct.status).toBe(403);
    expect(direct.text).toMatch(/^\/metrics answers loopback clients only/);
    expect((await requestFrom(remote, metrics, { headers: { 'x-forwarded-for': '127.0.0.1, 127.0.0.1' } })).status).toBe(403);
    // Through the proxy: a remote client's forged leftmost entry is not believed either.
    expect((await requestFrom('127.0.0.1', metrics, { headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' } })).status).toBe(403);
    // The proxy itself, and a loopback client it reports, read it.
    expect((await requestFrom('127.0.0.1', metrics)).status).toBe(200);
    expect((await requestFrom('127.0.0.1', metrics, { headers: { 'x-forwarded-for': '127.0.0.1' } })).status).toBe(200);
  });

  test('a direct client rotating X-Forwarded-For is counted on its own address; clients the proxy reports are counted apart', async () => {
    const ping = (from: string, forwardedFor: string) =>
      requestFrom(from, hub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
        body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': 'http://publisher.example/feed' }).toString(),
      });
    const direct: number[] = [];
    for (let i = 0; i < 4; i++) direct.push((await ping(remote, `198.51.100.${i + 1}`)).status);
    expect(direct).toEqual([204, 204, 204, 429]);
    // The proxy's word is taken: four clients it reports, one ping each, none limited.
    const proxied: number[] = [];
    for (let i = 0; i < 4; i++) proxied.push((await ping('127.0.0.1', `198.51.100.${i + 1}`)).status);
    expect(proxied).toEqual([204, 204, 204, 204]);
  });
});
