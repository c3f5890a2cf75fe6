/** The update log each topic keeps, and the retrieve, long-poll and event-stream readers of it. */
import { int, type Setting } from '../setting-kinds.js';

export const UPDATE_SETTINGS = {
  historyEntries: int({
    env: 'HUB_HISTORY_ENTRIES',
    doc:
      "each topic's update log, kept for retrieve, long-poll, event streams and replay: at least this many of its latest entries " +
      '(an update still being retried to a callback stays until it is settled)',
    default: 100,
    min: 1,
    max: 100000,
  }),
  historyDays: int({
    env: 'HUB_HISTORY_DAYS',
    doc: "days an update stays in its topic's log (beyond `HUB_HISTORY_ENTRIES`, none older)",
    default: 30,
    min: 1,
    max: 3650,
  }),
  retrieveMaxBytes: int({
    env: 'HUB_RETRIEVE_MAX_BYTES',
    doc:
      'most stored update bytes one retrieve or long-poll answer carries, and one read of a resuming stream: past it the answer ' +
      'holds fewer entries, says so in `X-Crier-Truncated` and links the rest (`Link: rel="next"`); a stream reads on once its ' +
      'client has taken the previous read. One update is always sent whole',
    default: 4 * 1024 * 1024,
    defaultText: '4194304 (4 MiB)',
    min: 1024,
  }),
  maxStreams: int({
    env: 'HUB_MAX_STREAMS',
    doc: 'open event streams plus held long-polls per web process; over it 503 with `Retry-After`',
    default: 10000,
    min: 1,
  }),
  maxStreamsPerClient: int({
    env: 'HUB_MAX_STREAMS_PER_CLIENT',
    doc: 'open event streams plus held long-polls per client address (IPv6: per /64); over it 429 with `Retry-After`',
    default: 100,
    min: 1,
  }),
  streamHeartbeatMs: int({
    env: 'HUB_STREAM_HEARTBEAT_MS',
    doc: 'a comment line on every event stream this often, so proxies keep idle streams open',
    default: 15000,
    min: 50,
    max: 3600000,
  }),
} satisfies Record<string, Setting<unknown>>;
