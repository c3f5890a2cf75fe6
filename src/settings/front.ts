/** The HTTP front: where it listens, which connections and requests it takes, who its clients are. */
import net from 'node:net';
import { flag, hostAddress, int, origins, SettingProblem, url, type Setting } from '../setting-kinds.js';

/** Named ranges Express's 'trust proxy' (proxy-addr) knows. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** HUB_TRUST_PROXY: off, `1` (one hop, any peer), or the proxies' addresses and ranges. */
function readTrustProxy(raw: string | undefined): false | 1 | readonly string[] {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return 1;
  const items = raw.split(',').map((item) => item.trim());
  const bad = items.filter((item) => !PROXY_RANGE_NAMES.includes(item) && !isAddressOrRange(item));
  if (bad.length)
    throw new SettingProblem(`HUB_TRUST_PROXY must be 1, 0 or a list of proxy addresses or CIDR ranges, got "${bad[0].slice(0, 60)}"`);
  return Object.freeze(items);
}

function isAddressOrRange(item: string): boolean {
  const [address, prefix, ...rest] = item.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

export const FRONT_SETTINGS = {
  port: int({ env: 'PORT', doc: 'HTTP port; 0 picks a free one', default: 8080, min: 0, max: 65535 }),
  allowPrivateNetworks: flag({
    env: 'HUB_ALLOW_PRIVATE_NETWORKS',
    doc:
      '`1` lets callbacks and topics resolve to loopback/private addresses (a development setting: ' +
      'it also binds the front to loopback and logs a warning)',
  }),
  host: hostAddress({
    env: 'HUB_HOST',
    doc: 'address the front binds: an IP address or `localhost`',
    default: (prior) => (prior.allowPrivateNetworks ? '127.0.0.1' : undefined),
    defaultText: '`127.0.0.1` when `HUB_ALLOW_PRIVATE_NETWORKS=1`, every interface otherwise',
  }),
  maxConnections: int({
    env: 'HUB_MAX_CONNECTIONS',
    doc: 'open front connections at most; more are closed as they arrive',
    default: 10000,
    min: 1,
  }),
  maxIdleConnectionsPerClient: int({
    env: 'HUB_MAX_IDLE_CONNECTIONS_PER_CLIENT',
    doc:
      'front connections without a request in progress per client address (IPv6: per /64); past it, a keep-alive ' +
      'connection falling idle is closed, and a new one that sends no request within 2 s. ' +
      "Behind a proxy the proxy is the client: keep it above the proxy's keep-alive pool",
    default: 100,
    min: 1,
  }),
  publicUrl: url({
    env: 'HUB_PUBLIC_URL',
    doc: 'the hub\'s own URL, sent as `Link: <...>; rel="hub"`',
    schemes: ['http:', 'https:'],
    default: (prior) => `http://localhost:${String(prior.port)}/`,
    defaultText: '`http://localhost:$PORT/`',
  }),
  maxRequestBytes: int({
    env: 'HUB_MAX_REQUEST_BYTES',
    doc: 'largest `POST /` body',
    default: 64 * 1024,
    defaultText: '65536 (64 KiB)',
    min: 1024,
  }),
  maxPublishUrls: int({ env: 'HUB_MAX_PUBLISH_URLS', doc: 'most `hub.url` values in one ping', default: 100, min: 1 }),
  rateLimitPerMinute: int({
    env: 'HUB_RATE_LIMIT_PER_MINUTE',
    doc: 'subscribe/publish requests per client address and per callback host; 0 turns limits off',
    default: 6000,
    min: 0,
  }),
  corsOrigins: origins({
    env: 'HUB_CORS_ORIGINS',
    doc:
      'browser origins that may read retrieve, long-poll and stream answers (`GET /?hub.mode=retrieve`): a comma-separated ' +
      'list of origins (`https://app.example`), or `*` for any; never the console, the admin API or `/metrics`',
  }),
  trustProxy: {
    env: 'HUB_TRUST_PROXY',
    doc:
      'behind reverse proxies: their addresses or CIDR ranges, comma-separated (`10.0.0.5,192.168.1.0/24`; `loopback`, ' +
      '`linklocal` and `uniquelocal` name those ranges). The client is the nearest `X-Forwarded-For` address that is not ' +
      'one of them; a peer not in the list is the client whatever it sends. `1` (as before) takes whichever peer connects ' +
      'for the one proxy: only where nothing else can reach the hub (H28)',
    defaultText: 'off',
    read: readTrustProxy,
  },
} satisfies Record<string, Setting<unknown>>;
