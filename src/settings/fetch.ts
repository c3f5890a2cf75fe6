/** Topics: fetching (size, parse budget, concurrency, pace, attempts), the entries remembered for diffing, and polling. */
import { flag, int, SettingProblem, type Setting } from '../setting-kinds.js';

export const FETCH_SETTINGS = {
  maxContentBytes: int({
    env: 'HUB_MAX_CONTENT_BYTES',
    doc: 'largest topic body fetched',
    default: 5 * 1024 * 1024,
    defaultText: '5242880 (5 MiB)',
    min: 1024,
  }),
  parseBudgetMs: int({
    env: 'HUB_PARSE_BUDGET_MS',
    doc: 'longest one feed parse may take; past it the topic is delivered whole and the reason recorded',
    default: 2000,
    min: 10,
  }),
  seenEntriesMax: int({ env: 'HUB_SEEN_ENTRIES_MAX', doc: 'feed entry ids remembered per topic for diffing', default: 2000, min: 1 }),
  seenEntriesDays: int({ env: 'HUB_SEEN_ENTRIES_DAYS', doc: 'days a seen entry id is remembered', default: 90, min: 1 }),
  fetchConcurrency: int({
    env: 'HUB_FETCH_CONCURRENCY',
    doc: 'topic fetches in flight per worker process',
    default: 32,
    min: 1,
    max: 1000,
  }),
  fetchPerHost: int({
    env: 'HUB_FETCH_PER_HOST',
    doc:
      'of those, at most this many to one target (a registrable domain, an IPv4 /24 or an IPv6 /64), so the other half always ' +
      'serves everyone else; a fetch over the share waits a moment in the queue without spending an attempt',
    default: (prior) => Math.ceil(Number(prior.fetchConcurrency) / 2),
    defaultText: 'half of `HUB_FETCH_CONCURRENCY`',
    min: 1,
    max: 1000,
  }),
  fetchMinIntervalSeconds: int({
    env: 'HUB_FETCH_MIN_INTERVAL_SECONDS',
    doc:
      'least time between the end of one fetch of a topic and the start of its next; pings inside it ' +
      'coalesce into that next fetch, none is lost; 0 turns it off',
    default: 3,
    min: 0,
    max: 86400,
  }),
  fetchMinBytesPerSecond: int({
    env: 'HUB_FETCH_MIN_BYTES_PER_SECOND',
    doc: 'a topic body arriving slower than this over a 5 s window is abandoned (`HUB_ERR_TOPIC_TOO_SLOW`, recorded on the topic)',
    default: 1024,
    min: 1,
  }),
  fetchAttempts: int({
    env: 'HUB_FETCH_ATTEMPTS',
    doc: 'attempts per topic fetch (timeouts, resets, 5xx, 429); 4xx and blocked addresses are recorded and not retried',
    default: 5,
    min: 1,
    max: 100,
  }),
  poll: flag({
    env: 'HUB_POLL',
    doc:
      '`0` turns off polling of subscribed topics (see [docs/operations.md](docs/operations.md#polling)); ' +
      'they are then fetched only when pinged',
    default: true,
  }),
  pollMinSeconds: int({
    env: 'HUB_POLL_MIN_SECONDS',
    doc: 'shortest poll interval of a topic; values down to 1 are accepted for tests, not for polling real publishers',
    default: 300,
    min: 1,
  }),
  pollMaxSeconds: int({
    env: 'HUB_POLL_MAX_SECONDS',
    doc: 'longest poll interval of a topic: the safety net for topics whose pings arrive, and the rate for topics that keep failing',
    default: 86400,
    min: 1,
  }),
  pollPerHost: int({
    env: 'HUB_POLL_PER_HOST',
    doc: 'per worker process: poll fetches in flight to one target (counted as `HUB_FETCH_PER_HOST` counts)',
    default: 2,
    min: 1,
    max: 1000,
  }),
  pollHostSpacingMs: int({
    env: 'HUB_POLL_HOST_SPACING_MS',
    doc: 'per worker process: least time between the starts of two polls of one target',
    default: 200,
    min: 0,
    max: 60000,
  }),
  pollBatch: int({
    env: 'HUB_POLL_BATCH',
    doc: 'most due topics the scheduler claims and queues at once (and fetch jobs it lets wait in the queue)',
    default: 1000,
    min: 1,
    max: 10000,
  }),
  // What the feed diff may ignore when comparing entries by meaning (src/feeds/meaning.ts).
  updateIgnore: {
    env: 'HUB_UPDATE_IGNORE',
    doc:
      'what an entry may change without counting as updated, comma-separated: `dates` (an entry whose only change is a ' +
      'date, such as `updated`, `pubDate`, `dc:date` or JSON Feed `date_modified`, is not re-delivered; a date that changes ' +
      'with anything else is), `tracking` (`utm_*`, `fbclid`, `gclid` and similar query parameters are dropped from links: ' +
      'link elements and href/url/src attributes, JSON Feed `url` and `external_url`; not links inside HTML content). ' +
      'See docs/feed-engine.md',
    defaultText: 'unset (off)',
    read(raw: string | undefined): ReadonlyArray<'dates' | 'tracking'> {
      const items = (raw ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      const bad = items.filter((v) => v !== 'dates' && v !== 'tracking');
      if (bad.length) throw new SettingProblem(`HUB_UPDATE_IGNORE takes dates and tracking, got "${bad.join(', ')}"`);
      return [...new Set(items as Array<'dates' | 'tracking'>)];
    },
    show: (value: ReadonlyArray<string>) => (value.length ? value.join(',') : 'off'),
  },
} satisfies Record<string, Setting<unknown>>;
