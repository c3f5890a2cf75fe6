import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 9, item 3: a callback that never answers HTTP (it accepts and drops
 * connections) is knocked on three times in all, not HUB_MAX_ATTEMPTS times,
 * so the hub cannot be pointed at a third party's server to hammer it.
 */
describe('verification of a callback that never answers', () => {
  let hub: TestHub;
  let server: net.Server;
  let connections = 0;

  beforeAll(async () => {
    server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hub = await startTestHub('pg-redis', { HUB_MAX_ATTEMPTS: '8' });
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  test('H28: it is tried three times, then the request is dropped', async () => {
    const callback = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': 'http://127.0.0.1/feed' })).status).toBe(202);
    await waitFor(async () => connections > 0 && (await hub.query('select 1 from intents where callback = $1', [callback])).length === 0, {
      what: 'the intent dropped',
      timeoutMs: 20_000,
    });
    expect(connections).toBe(3);
  });
});
