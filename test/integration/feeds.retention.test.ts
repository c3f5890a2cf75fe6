import { parseFeed } from '../../src/feeds/index.js';
import type { TestHub } from '../helpers/hub.js';
import { rss } from '../helpers/feeds.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

const RSS = 'application/rss+xml';
const MAX = 5;

/** The key the engine remembers an RSS item by (entry-id.ts), from its guid. */
function keyOf(guid: string): string {
  const outcome = parseFeed(Buffer.from(rss([guid])), RSS);
  if (outcome.kind !== 'feed') throw new Error(`not a feed: ${outcome.kind}`);
  return outcome.doc.entries[0].key;
}

// Issue 3: what a topic remembers of its entries is bounded by count and age, and an
// entry that drops out and comes back while remembered is not new.
describe('seen-entry retention (HUB_SEEN_ENTRIES_MAX, HUB_SEEN_ENTRIES_DAYS)', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis', {
      HUB_SEEN_ENTRIES_MAX: String(MAX),
      HUB_SEEN_ENTRIES_DAYS: '30',
    }));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  async function topicFor(name: string) {
    const topic = publisher.topicUrl(`/${name}.xml`);
    const received = () => subscriber.deliveries().filter((d) => d.url === `/${name}`);
    /** The guids (of those in `candidates`) the topic remembers. */
    const remembered = async (candidates: string[]) => {
      const keys = new Set(
        (
          await hub.query<{ key: string }>(
            `select entry_key as key from seen_entries s join topics t on t.id = s.topic_id where t.url = $1`,
            [topic],
          )
        ).map((r) => r.key),
      );
      return candidates.filter((guid) => keys.has(keyOf(guid)));
    };
    const count = async () =>
      (
        await hub.query<{ n: number }>(
          `select count(*)::int as n from seen_entries s join topics t on t.id = s.topic_id where t.url = $1`,
          [topic],
        )
      )[0].n;
    /** Serves `entries`, pings, and returns the guids delivered for it (none when nothing was new). */
    const publish = async (entries: string[]) => {
      const before = received().length;
      const fetched = publisher.fetches(`/${name}.xml`).length;
      publisher.set(`/${name}.xml`, { body: rss(entries), contentType: RSS });
      expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
      // The fetch job delivers its first page before it finishes: once the queues are idle, whatever it found new was delivered.
      await waitFor(async () => publisher.fetches(`/${name}.xml`).length > fetched && (await hub.idle()), {
        what: `fetch of ${name} done`,
      });
      return received()
        .slice(before)
        .flatMap((d) => [...d.body.toString().matchAll(/<guid[^>]*>([^<]+)<\/guid>/g)].map((m) => m[1]));
    };
    publisher.set(`/${name}.xml`, { body: rss([]), contentType: RSS });
    await hub.subscribeAndWait(`${subscriber.origin}/${name}`, topic);
    return { publish, remembered, count };
  }

  test('an entry that drops out of the feed and comes back while remembered is not delivered again', async () => {
    const t = await topicFor('comeback');
    expect(await t.publish(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(await t.publish(['d'])).toEqual(['d']);
    expect(await t.publish(['a', 'd'])).toEqual([]);
  });

  test(`at most ${MAX} entries are remembered per topic: the least recently seen are forgotten first`, async () => {
    const t = await topicFor('bounded');
    expect(await t.publish(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(await t.publish(['d', 'e', 'f'])).toEqual(['d', 'e', 'f']);
    expect(await t.count()).toBe(MAX);
    const kept = await t.remembered(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(kept).toHaveLength(MAX);
    expect(kept).toEqual(expect.arrayContaining(['d', 'e', 'f']));
    // One of a, b, c was forgotten, so it is new again when it reappears; the remembered ones are not.
    const [forgotten] = ['a', 'b', 'c'].filter((k) => !kept.includes(k));
    expect(await t.publish(['a', 'b', 'c'])).toEqual([forgotten]);
  });

  test('entries not seen for HUB_SEEN_ENTRIES_DAYS are forgotten by the sweep, and are new if they reappear', async () => {
    const t = await topicFor('aged');
    expect(await t.publish(['old', 'recent'])).toEqual(['old', 'recent']);
    await hub.query(`update seen_entries set last_seen_at = now() - interval '31 days' where entry_key = $1`, [keyOf('old')]);
    await waitFor(async () => (await t.remembered(['old'])).length === 0, { what: 'the aged entry swept' });
    expect(await t.remembered(['old', 'recent'])).toEqual(['recent']);
    // A different body (an identical one is not even parsed): the forgotten entry is new again, the remembered one is not.
    expect(await t.publish(['newer', 'old', 'recent'])).toEqual(['newer', 'old']);
  });
});
