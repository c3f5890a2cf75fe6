import crypto from 'node:crypto';
import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { type Publisher, type RecordedRequest, type Subscriber } from '../helpers/servers.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';
import { rss } from '../helpers/feeds.js';
import { replaySignature } from '../helpers/replay.js';

const SECRET = 'replay-proof-secret';

describe.each(BACKENDS)('hub.mode=replay is sent only when the subscriber proves it asked, on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let topic: string;
  const posts = (path: string) => subscriber.deliveries().filter((d) => d.url === path);
  const callback = (path: string) => `${subscriber.origin}${path}`;
  const form = (path: string, count = '1') => ({ 'hub.mode': 'replay', 'hub.topic': topic, 'hub.callback': callback(path), count });
  /** No replay of this hub has a notification left to settle, and no queue holds work. */
  const settled = () =>
    waitFor(async () => (await hub.query('select 1 from replays where cardinality(remaining) > 0')).length === 0 && (await hub.idle()), {
      what: 'replays settled and the queues idle',
    });
  const signedBy = (secret: string) => (d: RecordedRequest) => {
    const expected = `sha256=${crypto.createHmac('sha256', secret).update(d.body).digest('hex')}`;
    return d.headers['x-hub-signature'] === expected;
  };

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend, {
      HUB_REPLAY_PER_HOUR: '1000',
      HUB_SYNC_VERIFY_TIMEOUT_MS: '1000',
      HUB_SIGNATURE_ALGORITHM: 'sha256',
    }));
    topic = publisher.topicUrl('/proof.xml');
    publisher.set('/proof.xml', { body: rss(['a']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(callback('/signed'), topic, { 'hub.secret': SECRET });
    await hub.subscribeAndWait(callback('/open'), topic);
    for (const [i, body] of [rss(['a']), rss(['b', 'a'])].entries()) {
      publisher.set('/proof.xml', { body, contentType: 'application/rss+xml' });
      await hub.post({ 'hub.mode': 'publish', 'hub.url': topic });
      await waitFor(() => posts('/signed').length === i + 1 && posts('/open').length === i + 1, { what: `notification ${i + 1}` });
    }
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));
  afterEach(() => subscriber.behave({}));

  test('a replay signed with the subscription secret (sha256 of the body) is accepted and delivered, signed', async () => {
    const before = posts('/signed').length;
    const res = await hub.post(form('/signed'), replaySignature(form('/signed'), SECRET));
    expect([res.status, res.text]).toEqual([202, 'accepted; 1 notification queued for redelivery\n']);
    await waitFor(() => posts('/signed').length === before + 1, { what: 'the replayed delivery' });
    const [replayed] = posts('/signed').slice(before);
    expect(replayed.headers['x-crier-replay']).toBe('1');
    expect(replayed.headers['x-crier-seq']).toBe(posts('/signed')[1].headers['x-crier-seq']);
    expect(signedBy(SECRET)(replayed)).toBe(true);
    await settled();
  });

  test('a replay with a missing, malformed or wrong signature is refused 403 and the callback receives nothing', async () => {
    const before = posts('/signed').length;
    const unsigned = await hub.post(form('/signed'));
    expect([unsigned.status, unsigned.text]).toEqual([
      403,
      expect.stringMatching(/^this subscription has a secret: sign the replay .+\n$/),
    ]);
    const hex = crypto
      .createHmac('sha256', SECRET)
      .update(new URLSearchParams(form('/signed')).toString())
      .digest('hex');
    const refusals: Array<[string, Record<string, string>]> = [
      ['another secret', replaySignature(form('/signed'), 'not-the-secret')],
      ['another body (count 2 signed, count 1 sent)', replaySignature(form('/signed', '2'), SECRET)],
      ['sha1, not sha256', { 'x-hub-signature': `sha1=${crypto.createHmac('sha1', SECRET).update('x').digest('hex')}` }],
      ['truncated', { 'x-hub-signature': `sha256=${hex.slice(0, 62)}` }],
      ['not hex', { 'x-hub-signature': `sha256=${'z'.repeat(64)}` }],
      ['empty', { 'x-hub-signature': '' }],
    ];
    for (const [what, headers] of refusals) {
      const res = await hub.post(form('/signed'), headers);
      expect([what, res.status, res.text]).toEqual([what, 403, expect.stringMatching(/^X-Hub-Signature .+\n$/)]);
    }
    // The positive signal: a proven replay asked after them arrives, alone, and then nothing is left to run.
    const proven = await hub.post(form('/signed'), replaySignature(form('/signed'), SECRET));
    expect(proven.status).toBe(202);
    await waitFor(() => posts('/signed').length > before, { what: 'the proven replay' });
    await settled();
    expect(posts('/signed').length).toBe(before + 1);
  });

  test('without a secret, the hub asks the callback (hub.mode=replay and a challenge) and replays once it echoes', async () => {
    const asked = subscriber.verifications().length;
    const before = posts('/open').length;
    const res = await hub.post(form('/open', '2'));
    expect(res.status).toBe(202);
    const [question] = subscriber.verifications().slice(asked);
    const query = new URL(question.url, subscriber.origin).searchParams;
    expect(new URL(question.url, subscriber.origin).pathname).toBe('/open');
    expect(query.get('hub.mode')).toBe('replay');
    expect(query.get('hub.topic')).toBe(topic);
    expect(query.get('hub.challenge')).toMatch(/^[\w-]{20,}$/);
    await waitFor(() => posts('/open').length === before + 2, { what: 'two replayed deliveries' });
    expect(
      posts('/open')
        .slice(before)
        .every((d) => d.headers['x-crier-replay'] === '1'),
    ).toBe(true);
    await settled();
  });

  test('without a secret, a callback that does not echo the challenge, refuses or hangs gets nothing and the requester 403', async () => {
    const before = posts('/open').length;
    const refusals: Array<[string, () => { status: number; body: string } | 'hang', RegExp]> = [
      ['a wrong echo', () => ({ status: 200, body: 'yes please' }), /did not echo hub\.challenge/],
      ['a 404', () => ({ status: 404, body: 'no' }), /answered 404/],
      ['no answer in time', () => 'hang', /did not answer within 1000 ms/],
    ];
    for (const [what, answer, reason] of refusals) {
      subscriber.behave({
        verify: (q) => (q.get('hub.mode') === 'replay' ? answer() : { status: 200, body: q.get('hub.challenge') ?? '' }),
      });
      const res = await hub.post(form('/open'));
      expect([what, res.status, res.text]).toEqual([
        what,
        403,
        expect.stringMatching(new RegExp(`^the subscription has no secret and its callback .*${reason.source}`)),
      ]);
    }
    subscriber.behave({});
    const confirmed = await hub.post(form('/open'));
    expect(confirmed.status).toBe(202);
    await waitFor(() => posts('/open').length > before, { what: 'the confirmed replay' });
    await settled();
    expect(posts('/open').length).toBe(before + 1);
  });
});
