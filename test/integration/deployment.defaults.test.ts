import net from 'node:net';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

/** Deployment defaults that keep a hub from being turned on its own network (issue 9, item 5). */
describe('deployment defaults', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub('pg-redis', { HUB_ROLE: 'web', HUB_ALLOWED_PORTS: '80,443,1-1023', HUB_MAX_CONNECTIONS: '3' });
  }, HUB_START_TIMEOUT);
  afterAll(() => hub?.stop());

  test('a hub that may reach private networks binds loopback only', () => {
    expect(hub.config.host).toBe('127.0.0.1');
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('H27: a callback or topic on a port outside HUB_ALLOWED_PORTS is refused with 400 and the reason', async () => {
    const res = await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': 'http://127.0.0.1:6379/',
      'hub.topic': 'http://127.0.0.1:80/feed',
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/port 6379 is not among HUB_ALLOWED_PORTS/);
    const ok = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': 'http://127.0.0.1:443/cb', 'hub.topic': 'http://127.0.0.1/feed' });
    expect(ok.status).toBe(202);
  });

  test('connections beyond HUB_MAX_CONNECTIONS are closed as they arrive', async () => {
    const port = Number(new URL(hub.url).port);
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    const held = [await open(), await open(), await open()];
    let closed = false;
    const extra = await open().catch(() => undefined);
    extra?.on('close', () => (closed = true));
    await waitFor(() => closed || extra === undefined, { what: 'the extra connection closed' });
    // The held ones still serve requests once one is freed.
    held[0].destroy();
    await waitFor(
      async () =>
        (await fetch(`${hub.url}healthz`).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      { what: 'front answers again' },
    );
    for (const s of held) s.destroy();
  });
});
