import fs from 'node:fs';
import net from 'node:net';

/**
 * Ports below the kernel's ephemeral range: a port the kernel handed out
 * (listen on 0) and that was closed again can be taken by any outgoing
 * connection before the test listens on it (seen: EADDRINUSE in CI). Ports
 * below the range are never handed out that way.
 */
function candidateRange(): [number, number] {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  return [Math.max(1024, low - 12_000), low];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on right now, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const [from, to] = candidateRange();
  for (let i = 0; i < 50; i++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found between ${from} and ${to}`);
}
