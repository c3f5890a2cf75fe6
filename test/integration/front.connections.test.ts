import http from 'node:http';
import net from 'node:net';
import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

const MAX_CONNECTIONS = 12;
const MAX_IDLE = 4;

/** A connection from `localAddress` (any of 127.0.0.0/8 is this host) that sends nothing until told. */
function connectFrom(hubUrl: string, localAddress: string) {
  const socket = net.connect({ port: Number(new URL(hubUrl).port), host: '127.0.0.1', localAddress });
  let received = '';
  let closed = false;
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  return { socket, closed: () => closed, received: () => received };
}

/** GET `path` on a connection of its own from `localAddress`; resolves with the status. */
function getFrom(hubUrl: string, localAddress: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, hubUrl), { localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
  });
}

describe("one client's idle connections cannot take the front (issue 20, item 9)", () => {
  let hub: TestHub;
  const sockets: ReturnType<typeof connectFrom>[] = [];

  beforeAll(async () => {
    hub = await startTestHub('pg-redis', {
      HUB_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      HUB_MAX_IDLE_CONNECTIONS_PER_CLIENT: String(MAX_IDLE),
    });
  }, HUB_START_TIMEOUT);
  afterEach(() => {
    for (const s of sockets.splice(0)) s.socket.destroy();
  });
  afterAll(() => hub?.stop());

  test('connections of one address that send nothing are closed past the cap; another address is still served', async () => {
    const mine = Array.from({ length: 20 }, () => connectFrom(hub.url, '127.0.0.1'));
    sockets.push(...mine);
    await waitFor(() => mine.filter((s) => s.closed()).length === 20 - MAX_IDLE, { what: 'the connections over the cap closed' });
    expect(mine.filter((s) => !s.closed())).toHaveLength(MAX_IDLE);
    expect(await getFrom(hub.url, '127.0.0.2', '/healthz')).toBe(200);
  });

  test('a burst of connections past the cap, all open before any sends its request, is served in full', async () => {
    const burst = Array.from({ length: 2 * MAX_IDLE }, () => connectFrom(hub.url, '127.0.0.4'));
    sockets.push(...burst);
    // Each is idle, and the client past its cap, until its request line arrives.
    await waitFor(() => burst.every((s) => s.socket.readyState === 'open'), { what: 'every connection open' });
    for (const s of burst) s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => burst.every((s) => s.received().startsWith('HTTP/1.1 200 ')), { what: 'every request answered' });
  });

  test('a connection carrying a request is not idle; one whose request is answered is idle again, and closed over the cap', async () => {
    const topic = 'http://publisher.example/held.xml';
    await hub.query('insert into topics (url) values ($1)', [topic]);
    const poll = `GET /?hub.mode=retrieve&wait=poll&timeout=1&hub.topic=${encodeURIComponent(topic)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const held: ReturnType<typeof connectFrom>[] = [];
    // One at a time: each is idle only until its long-poll is read, then held busy, so the client holds more than the idle cap.
    for (let i = 0; i < MAX_IDLE + 2; i++) {
      const s = connectFrom(hub.url, '127.0.0.3');
      held.push(s);
      sockets.push(s);
      await waitFor(() => s.socket.readyState === 'open', { what: 'connected' });
      s.socket.write(poll);
      await waitFor(() => hub.hub.live!.readers.size === i + 1, { what: `long-poll ${i + 1} held` });
    }
    expect(held.filter((s) => s.closed())).toHaveLength(0);
    // Answered (204 at the timeout), each is an idle keep-alive connection again: the two past the cap are closed.
    await waitFor(() => held.every((s) => s.received().startsWith('HTTP/1.1 204 ')) && held.filter((s) => s.closed()).length === 2, {
      what: 'every long-poll answered and two connections closed',
    });
    // The last two answered (their timeouts started last) found the client at its idle cap; a keep-alive timeout would close the first.
    expect(held.map((s) => s.closed())).toEqual([false, false, false, false, true, true]);
    const open = held.filter((s) => !s.closed());
    // The others stay usable.
    for (const s of open) s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => open.every((s) => s.received().includes('HTTP/1.1 200 ')), { what: 'the kept connections answering' });
  });
});
