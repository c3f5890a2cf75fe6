/** Every outbound request (topic fetches, verifications, deliveries): allowed ports, timeouts, circuits. */
import { int, portRanges, type Setting } from '../setting-kinds.js';

export const OUTBOUND_SETTINGS = {
  allowedPorts: portRanges({
    env: 'HUB_ALLOWED_PORTS',
    doc:
      'ports callbacks, topics and redirects may use, e.g. `80,443,8000-8999` (recommended: it keeps ' +
      'the hub from being pointed at mail, database or admin ports)',
    defaultText: 'any port',
  }),
  connectTimeoutMs: int({ env: 'HUB_CONNECT_TIMEOUT_MS', doc: 'outbound TCP/TLS connect timeout', default: 5000, min: 1 }),
  requestTimeoutMs: int({
    env: 'HUB_REQUEST_TIMEOUT_MS',
    doc: 'outbound timeout for the headers, and again for the body',
    default: 10000,
    min: 1,
  }),
  circuitMinAttempts: int({
    env: 'HUB_CIRCUIT_MIN_ATTEMPTS',
    doc:
      "a callback or topic origin's circuit opens when 80% of at least this many attempts in 5 minutes failed (timeouts, resets, " +
      '5xx); an open circuit postpones deliveries and fetches, it never drops them',
    default: 10,
    min: 1,
  }),
  circuitCooldownMs: int({
    env: 'HUB_CIRCUIT_COOLDOWN_MS',
    doc: 'how long an open circuit waits before a probe; doubles per failed probe, up to 5 minutes',
    default: 30000,
    min: 1,
  }),
} satisfies Record<string, Setting<unknown>>;
