import crypto from 'node:crypto';
import { BACKENDS, provisionBackend, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type RecordedRequest, type Subscriber } from '../helpers/servers.js';
import { signInConsole } from '../helpers/console.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { metricValue, scrape } from '../helpers/metrics.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { targetKey } from '../../src/net/target-key.js';
import { replaySignature } from '../helpers/replay.js';

const SECRET = 'extension-secret';
const ADMIN_TOKEN = '69f32720f72b3092cd16d153eedba06c';

/** The subscriber's check of X-Hub-Signature over the exact bytes it received. */
function signedWithSecret(d: RecordedRequest): boolean {
  const [algorithm, hex] = String(d.headers['x-hub-signature']).split('=');
  const expected = crypto.createHmac(algorithm, SECRET).update(d.body).digest();
  const given = Buffer.from(hex ?? '', 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

const guids = (d: RecordedRequest) => [...d.body.toString('utf8').matchAll(/<guid>(\w+)<\/guid>/g)].map((m) => m[1]);

describe.each(BACKENDS)('replay, initial state and JSON Feed delivery (Crier extensions) on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let topic: string;
  const at = (path: string) => (d: RecordedRequest) => d.url === path;
  const posts = (path: string) => subscriber.deliveries().filter(at(path));
  const subscribe = (path: string, extra: Record<string, string> = {}) =>
    hub.subscribeAndWait(`${subscriber.origin}${path}`, topic, { 'hub.secret': SECRET, ...extra });
  /** A replay request signed by the subscriber (every subscription here has SECRET). */
  const replay = (fields: Record<string, string>) => {
    const form = { 'hub.mode': 'replay', 'hub.topic': topic, ...fields };
    return hub.post(form, replaySignature(form, SECRET));
  };

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, {
      HUB_RATE_LIMIT_PER_MINUTE: '100000',
      HUB_ADMIN_TOKEN: ADMIN_TOKEN,
    }));
    topic = publisher.topicUrl('/ext.xml');
    publisher.set('/ext.xml', { body: rss(['a']), contentType: 'application/rss+xml' });
    await subscribe('/feed');
    await subscribe('/json', { 'crier.format': 'json' });
    // Three notifications: a; then b; then c new with a changed (a mixed one).
    const versions = [rss(['a']), rss(['b', 'a']), rss(['c', 'b', 'a']).replace('<title>a</title>', '<title>a, edited</title>')];
    for (const [i, body] of versions.entries()) {
      publisher.set('/ext.xml', { body, contentType: 'application/rss+xml' });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      await waitFor(() => posts('/feed').length === i + 1 && posts('/json').length === i + 1, { what: `notification ${i + 1}` });
    }
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  test('crier.format=json: every delivery is a signed JSON Feed 1.1 whose items say new or updated and carry the original id', () => {
    const json = posts('/json');
    const feed = posts('/feed');
    for (const [i, d] of json.entries()) {
      expect(d.headers['content-type']).toBe('application/feed+json; charset=utf-8');
      expect(signedWithSecret(d)).toBe(true);
      // The same update: one delivery id scheme and one log id whatever the format.
      expect(d.headers['x-crier-seq']).toBe(feed[i].headers['x-crier-seq']);
      expect(d.headers['x-crier-entries']).toBe(feed[i].headers['x-crier-entries']);
    }
    expect(feed.map((d) => d.headers['content-type'])).toEqual(Array(3).fill('application/rss+xml'));
    const last = JSON.parse(json[2].body.toString('utf8'));
    expect(last.version).toBe('https://jsonfeed.org/version/1.1');
    expect(last.title).toBe('T');
    const seq = Number(json[2].headers['x-crier-seq']);
    expect(last.items).toEqual([
      { id: 'c', title: 'c', content_html: '', _crier: { seq, status: 'new', id: 'c' } },
      { id: 'a', title: 'a, edited', content_html: '', _crier: { seq, status: 'updated', id: 'a' } },
    ]);
  });

  test('crier.format is kept by a renewal that names none, changed by one that does, and a bad value is 400', async () => {
    const formatOf = async (path: string) =>
      (await hub.query('select format from subscriptions where callback = $1', [`${subscriber.origin}${path}`]))[0].format;
    await subscribe('/json');
    expect(await formatOf('/json')).toBe('json');
    await subscribe('/switch', { 'crier.format': 'json' });
    await subscribe('/switch', { 'crier.format': 'feed' });
    expect(await formatOf('/switch')).toBe('feed');
    for (const value of ['xml', 'atom', 'json feed']) {
      const res = await hub.post({
        'hub.mode': 'subscribe',
        'hub.callback': `${subscriber.origin}/bad`,
        'hub.topic': topic,
        'crier.format': value,
      });
      expect([value, res.status, res.text]).toEqual([value, 400, expect.stringMatching(/^crier\.format must be feed or json, got .+\n$/)]);
    }
  });

  test('the admin subscription views show each subscription’s crier.format', async () => {
    const res = await fetch(`${hub.url}admin/subscriptions?topic=${encodeURIComponent(topic)}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const subs = (await res.json()) as Array<{ id: number; callback: string; format: string }>;
    const byPath = new Map(subs.map((s) => [new URL(s.callback).pathname, s]));
    expect(byPath.get('/json')?.format).toBe('json');
    expect(byPath.get('/feed')?.format).toBe('feed');
    const ui = await signInConsole(hub.url, ADMIN_TOKEN);
    const page = await ui.get(`/subscriptions/${byPath.get('/json')!.id}`);
    expect(page.text).toContain('<dt>Format</dt><dd>JSON Feed 1.1 (crier.format=json)</dd>');
  });

  test('replay re-sends the last N notifications with their original delivery ids, signed and marked X-Crier-Replay', async () => {
    const before = await scrape(`${hub.url}metrics`);
    const original = posts('/feed');
    const res = await replay({ 'hub.callback': `${subscriber.origin}/feed`, count: '2' });
    expect(res.status).toBe(202);
    await waitFor(() => posts('/feed').length === 5, { what: 'two replayed deliveries' });
    const replayed = posts('/feed').slice(3);
    const idsOf = (ds: RecordedRequest[]) => ds.map((d) => [d.headers['x-hub-delivery'], d.headers['x-crier-seq']]).sort();
    expect(idsOf(replayed)).toEqual(idsOf(original.slice(1)));
    for (const d of replayed) {
      expect(d.headers['x-crier-replay']).toBe('1');
      expect(signedWithSecret(d)).toBe(true);
      expect(d.body).toEqual(original.find((o) => o.headers['x-hub-delivery'] === d.headers['x-hub-delivery'])!.body);
    }
    // A JSON subscriber's replay is its JSON form; count defaults to 10 (all three here).
    const json = await replay({ 'hub.callback': `${subscriber.origin}/json` });
    expect(json.status).toBe(202);
    await waitFor(() => posts('/json').length === 6, { what: 'three replayed JSON deliveries' });
    expect(
      posts('/json')
        .slice(3)
        .every((d) => d.headers['content-type'] === 'application/feed+json; charset=utf-8'),
    ).toBe(true);
    const after = await scrape(`${hub.url}metrics`);
    expect(metricValue(after, 'crier_requests_total', { mode: 'replay', status: '202' })).toBe(
      metricValue(before, 'crier_requests_total', { mode: 'replay', status: '202' }) + 2,
    );
  });

  test('replay of an unknown or expired subscription is 404, a bad count 400, and over the callback’s rate limit 429', async () => {
    const replayFeed = (fields: Record<string, string>) => replay({ 'hub.callback': `${subscriber.origin}/feed`, ...fields });
    const unknown = await replay({ 'hub.callback': `${subscriber.origin}/nobody` });
    expect([unknown.status, unknown.text]).toEqual([404, expect.stringMatching(/^no verified, live subscription .+\n$/)]);
    expect((await replayFeed({ 'hub.topic': publisher.topicUrl('/never.xml') })).status).toBe(404);
    await subscribe('/expired');
    await hub.query(`update subscriptions set expires_at = now() - interval '1 second' where callback = $1`, [
      `${subscriber.origin}/expired`,
    ]);
    expect((await replay({ 'hub.callback': `${subscriber.origin}/expired` })).status).toBe(404);
    for (const count of ['0', '51', 'ten', '-1', '2.5']) {
      const res = await replayFeed({ count });
      expect([count, res.status, res.text]).toEqual([
        count,
        400,
        expect.stringMatching(/^count must be a whole number from 1 to 50, got .+\n$/),
      ]);
    }
    // The callback host's shared counter, filled to the limit for this minute and the next.
    const key = `callback:${targetKey(`${subscriber.origin}/feed`)}`;
    await hub.query(
      `insert into rate_limits (key, window_start, hits)
       select $1, date_trunc('minute', now()) + m * interval '1 minute', 100000 from generate_series(0, 1) m
       on conflict (key, window_start) do update set hits = 100000`,
      [key],
    );
    try {
      const limited = await replayFeed({ count: '1' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await hub.query('delete from rate_limits where key = $1', [key]);
    }
  });

  test('crier.initial=N: right after verification one signed delivery carries the N latest entries, marked X-Crier-Initial', async () => {
    await subscribe('/initial', { 'crier.initial': '2' });
    await waitFor(() => posts('/initial').length === 1, { what: 'the initial delivery' });
    const [d] = posts('/initial');
    expect(d.headers['x-crier-initial']).toBe('1');
    expect(d.headers['content-type']).toBe('application/rss+xml');
    expect(signedWithSecret(d)).toBe(true);
    expect(guids(d)).toEqual(['c', 'a']);
    expect(d.headers['x-crier-seq']).toBe(posts('/feed')[2].headers['x-crier-seq']);
    expect(String(d.headers['x-hub-delivery'])).toMatch(/^initial-\d+-\d+$/);
    // Settled: nothing is owed any more.
    await waitFor(
      async () =>
        (await hub.query('select initial_count from subscriptions where callback = $1', [`${subscriber.origin}/initial`]))[0]
          .initial_count === null,
      {
        what: 'the pending initial delivery settled',
      },
    );
    // A renewal with crier.initial gets one more.
    await subscribe('/initial', { 'crier.initial': '3' });
    await waitFor(() => posts('/initial').length === 2, { what: 'the renewal’s initial delivery' });
    expect(guids(posts('/initial')[1])).toEqual(['c', 'a', 'b']);
  });

  test('a failed initial delivery and a failed replay are retried, each attempt with the same delivery id and signed', async () => {
    const failFirst = new Set<string>();
    subscriber.behave({
      deliver: (d) => {
        const id = String(d.headers['x-hub-delivery']);
        if (!d.url.startsWith('/flaky') || failFirst.has(id)) return { status: 200, body: 'ok' };
        failFirst.add(id);
        return { status: 500, body: 'try again' };
      },
    });
    try {
      await subscribe('/flaky', { 'crier.initial': '1' });
      await waitFor(() => posts('/flaky').length === 2, { what: 'an initial delivery and its retry' });
      const res = await replay({ 'hub.callback': `${subscriber.origin}/flaky`, count: '1' });
      expect(res.status).toBe(202);
      await waitFor(() => posts('/flaky').length === 4, { what: 'a replay and its retry' });
      const [initial, initialRetry, replayed, replayRetry] = posts('/flaky');
      expect(initial.headers['x-crier-initial']).toBe('1');
      expect(initialRetry.headers['x-hub-delivery']).toBe(initial.headers['x-hub-delivery']);
      expect(initialRetry.body).toEqual(initial.body);
      expect(replayed.headers['x-crier-replay']).toBe('1');
      // The newest notification, to this subscription: <notification>.<subscription>, as its first delivery had.
      expect(String(replayed.headers['x-hub-delivery']).split('.')[0]).toBe(String(posts('/feed')[2].headers['x-crier-seq']));
      expect(replayRetry.headers['x-hub-delivery']).toBe(replayed.headers['x-hub-delivery']);
      expect(replayRetry.headers['x-crier-replay']).toBe('1');
      expect(posts('/flaky').every(signedWithSecret)).toBe(true);
    } finally {
      subscriber.behave({});
    }
  });

  test('crier.initial with hub.verify=sync and crier.format=json: one JSON Feed of the latest entry after the 204', async () => {
    const res = await hub.post({
      'hub.mode': 'subscribe',
      'hub.callback': `${subscriber.origin}/sync-initial`,
      'hub.topic': topic,
      'hub.verify': 'sync',
      'hub.secret': SECRET,
      'crier.initial': '1',
      'crier.format': 'json',
    });
    expect(res.status).toBe(204);
    await waitFor(() => posts('/sync-initial').length === 1, { what: 'the initial delivery' });
    const [d] = posts('/sync-initial');
    expect(d.headers['x-crier-initial']).toBe('1');
    expect(d.headers['content-type']).toBe('application/feed+json; charset=utf-8');
    expect(signedWithSecret(d)).toBe(true);
    expect(JSON.parse(d.body.toString('utf8')).items.map((i: { id: string }) => i.id)).toEqual(['c']);
  });

  test('crier.initial is stored with the intent until verification, which may come after failed attempts', async () => {
    let answered = 0;
    const callback = `${subscriber.origin}/late`;
    subscriber.behave({
      verify: (q) =>
        q.get('hub.topic') === topic && answered++ === 0
          ? { status: 503, body: 'busy' }
          : { status: 200, body: q.get('hub.challenge') ?? '' },
    });
    try {
      const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic, 'crier.initial': '1' });
      expect(res.status).toBe(202);
      const [intent] = await hub.query('select initial_count from intents where callback = $1', [callback]);
      expect(intent.initial_count).toBe(1);
      await waitFor(() => posts('/late').length === 1, { what: 'the initial delivery after a retried verification' });
      expect(guids(posts('/late')[0])).toEqual(['c']);
      expect(answered).toBeGreaterThanOrEqual(2);
    } finally {
      subscriber.behave({});
    }
  });

  test('w3c/websub#174: crier.initial on a topic the hub never fetched fetches it first and delivers what it found', async () => {
    const fresh = publisher.topicUrl('/fresh.xml');
    publisher.set('/fresh.xml', { body: rss(['y', 'x']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/fresh`, fresh, { 'crier.initial': '5' });
    await waitFor(() => posts('/fresh').some((d) => d.headers['x-crier-initial'] === '1'), { what: 'the initial delivery' });
    const initial = posts('/fresh').find((d) => d.headers['x-crier-initial'] === '1')!;
    expect(guids(initial)).toEqual(['y', 'x']);
    expect(publisher.fetches('/fresh.xml').length).toBeGreaterThanOrEqual(1);
  });

  test('crier.initial on a topic with no entries at all sends no initial delivery and settles', async () => {
    const empty = publisher.topicUrl('/empty.xml');
    publisher.set('/empty.xml', { body: rss([]), contentType: 'application/rss+xml' });
    const callback = `${subscriber.origin}/empty`;
    await hub.subscribeAndWait(callback, empty, { 'crier.initial': '3' });
    await waitFor(
      async () => (await hub.query('select initial_count from subscriptions where callback = $1', [callback]))[0].initial_count === null,
      {
        what: 'the pending initial delivery settled',
      },
    );
    expect(publisher.fetches('/empty.xml').length).toBeGreaterThanOrEqual(1);
    expect(posts('/empty').filter((d) => d.headers['x-crier-initial'])).toEqual([]);
  });

  test('a bad crier.initial is 400 with a one-line reason', async () => {
    for (const value of ['-1', '51', 'all', '1.5']) {
      const res = await hub.post({
        'hub.mode': 'subscribe',
        'hub.callback': `${subscriber.origin}/bad`,
        'hub.topic': topic,
        'crier.initial': value,
      });
      expect([value, res.status, res.text]).toEqual([
        value,
        400,
        expect.stringMatching(/^crier\.initial must be a whole number from 0 to 50, got .+\n$/),
      ]);
    }
  });
});

describe.each(BACKENDS)('crier.initial across a restart on %s', (backend) => {
  test('a crier.initial subscribe accepted before a restart is verified by the next hub process, which sends the initial delivery', async () => {
    const provisioned = await provisionBackend(backend);
    const publisher = await startPublisher();
    // The callback is down at first: the intent waits, with its crier.initial, for a retry.
    const subscriber = await startSubscriber({ verify: () => ({ status: 503, body: 'down' }) });
    const env = { HUB_RETRY_BASE_MS: '300', HUB_MAX_ATTEMPTS: '20' };
    let hub: TestHub | undefined = await startTestHub(backend, env, { shared: provisioned });
    try {
      const topic = publisher.topicUrl('/restart.xml');
      publisher.set('/restart.xml', { body: rss(['r2', 'r1']), contentType: 'application/rss+xml' });
      const callback = `${subscriber.origin}/restart`;
      const res = await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': topic, 'crier.initial': '1' });
      expect(res.status).toBe(202);
      await waitFor(() => subscriber.verifications().length >= 1, { what: 'a first, refused verification' });
      await hub.stop();
      hub = undefined;
      subscriber.behave({});
      hub = await startTestHub(backend, env, { shared: provisioned });
      await waitFor(() => subscriber.deliveries().some((d) => d.headers['x-crier-initial'] === '1'), {
        what: 'the initial delivery from the restarted hub',
        timeoutMs: 20_000,
      });
      const initial = subscriber.deliveries().find((d) => d.headers['x-crier-initial'] === '1')!;
      expect(guids(initial)).toEqual(['r2']);
    } finally {
      await hub?.stop();
      await provisioned.cleanup();
      await publisher.close();
      await subscriber.close();
    }
  }, 60_000);
});
