import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';

describe.each(BACKENDS)('the update log on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, { HUB_HISTORY_ENTRIES: '3' }));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const publish = (topic: string) => hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
  const notificationIds = async (topic: string) =>
    (await hub.query('select n.id from notifications n join topics t on t.id = n.topic_id where t.url = $1 order by n.id', [topic])).map(
      (r) => Number(r.id),
    );

  test('each delivery carries X-Crier-Seq, the id of its notification in the log, growing with each update', async () => {
    const topic = publisher.topicUrl('/seq.xml');
    const callback = `${subscriber.origin}/seq`;
    publisher.set('/seq.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(callback, topic);
    await publish(topic);
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/seq').length === 1, { what: 'first delivery' });
    publisher.set('/seq.xml', { body: rss(['s2', 's1']), contentType: 'application/rss+xml' });
    await publish(topic);
    await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/seq').length === 2, { what: 'second delivery' });
    const seqs = subscriber
      .deliveries()
      .filter((d) => d.url === '/seq')
      .map((d) => Number(d.headers['x-crier-seq']));
    expect(seqs).toEqual(await notificationIds(topic));
    expect(seqs[1]).toBeGreaterThan(seqs[0]);
  });

  test('HUB_HISTORY_ENTRIES: the sweep trims a topic log to its newest entries and the bodies nothing refers to', async () => {
    const topic = publisher.topicUrl('/trim.xml');
    await hub.subscribeAndWait(`${subscriber.origin}/trim`, topic);
    const items: string[] = [];
    for (let i = 1; i <= 5; i++) {
      items.unshift(`t${i}`);
      publisher.set('/trim.xml', { body: rss(items), contentType: 'application/rss+xml' });
      await publish(topic);
      await waitFor(() => subscriber.deliveries().filter((d) => d.url === '/trim').length === i, { what: `delivery ${i}` });
    }
    const all = await notificationIds(topic);
    expect(all.length).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await notificationIds(topic)).length === 3, { what: 'the log trimmed to 3 entries' });
    expect(await notificationIds(topic)).toEqual(all.slice(-3));
  });
});
