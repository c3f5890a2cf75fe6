import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startSubscriber, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'http://127.0.0.1:1/reconfirm.xml';
const LEASE = 3600;

describe.each(BACKENDS)('re-confirming subscriptions before their leases end on %s (H16)', (backend) => {
  let hub: TestHub;
  let subscriber: Subscriber;

  beforeAll(async () => {
    hub = await startTestHub(backend, { HUB_RECONFIRM_PERCENT: '10' });
    subscriber = await startSubscriber();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub?.stop();
    await subscriber?.close();
  });

  const checksOf = (path: string) => subscriber.verifications().filter((v) => v.url.startsWith(`${path}?`));
  const expiresIn = async (callback: string) => {
    const [row] = await hub.query<{ seconds: number }>(
      'select extract(epoch from expires_at - now())::float8 as seconds from subscriptions where callback = $1',
      [callback],
    );
    return row?.seconds;
  };
  /** A verified subscription whose lease has only `seconds` left (under 10% of it). */
  async function nearlyExpired(path: string, seconds: number): Promise<string> {
    const callback = `${subscriber.origin}${path}`;
    await hub.subscribeAndWait(callback, TOPIC, { 'hub.lease_seconds': String(LEASE) });
    await hub.query(`update subscriptions set expires_at = now() + make_interval(secs => $2) where callback = $1`, [callback, seconds]);
    return callback;
  }

  let markers = 0;
  /**
   * Resolves once a sweep has run past `callback` with nothing of its own left in flight: a marker subscription
   * due for re-confirmation is stored, and a sweep that asks the marker again would ask `callback` again in the
   * same statement if it were due. Waits for the marker's request and for neither to have an intent pending.
   */
  async function sweptPast(callback: string): Promise<void> {
    const marker = `${subscriber.origin}/marker-${++markers}`;
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at)
       select id, $2, $3, now() + interval '100 seconds' from topics where url = $1`,
      [TOPIC, marker, LEASE],
    );
    await waitFor(
      async () =>
        checksOf(new URL(marker).pathname).length > 0 &&
        (await hub.query('select 1 from intents where callback = any($1::text[])', [[marker, callback]])).length === 0,
      { what: `a sweep past ${callback}` },
    );
  }

  test('H16: with 10% of the lease left the hub verifies the subscription again, and the confirmation renews the full lease, once', async () => {
    const callback = await nearlyExpired('/renewed', 100);
    await waitFor(() => checksOf('/renewed').length === 2, { what: 're-confirmation request' });
    const again = checksOf('/renewed')[1].query;
    expect(again.get('hub.mode')).toBe('subscribe');
    expect(again.get('hub.topic')).toBe(TOPIC);
    expect(again.get('hub.lease_seconds')).toBe(String(LEASE));
    expect(again.get('hub.challenge')).not.toBe(checksOf('/renewed')[0].query.get('hub.challenge'));
    await waitFor(async () => ((await expiresIn(callback)) ?? 0) > LEASE - 60, { what: 'lease renewed' });
    await sweptPast(callback);
    expect(checksOf('/renewed')).toHaveLength(2);
  });

  test('H16: a subscriber that declines keeps its subscription until the lease ends and is asked only once', async () => {
    subscriber.behave({
      verify: (q) =>
        q.get('hub.mode') === 'subscribe' && checksOf('/declined').length > 1
          ? { status: 404, body: 'no' }
          : { status: 200, body: q.get('hub.challenge') ?? '' },
    });
    try {
      const callback = await nearlyExpired('/declined', 100);
      await waitFor(() => checksOf('/declined').length === 2, { what: 're-confirmation request' });
      await sweptPast(callback);
      expect(checksOf('/declined')).toHaveLength(2);
      const left = await expiresIn(callback);
      expect(left).toBeGreaterThan(90);
      expect(left).toBeLessThan(100);
    } finally {
      subscriber.behave({});
    }
  });

  test('H16: a subscription with most of its lease left is not asked', async () => {
    const callback = await nearlyExpired('/fresh', LEASE / 2);
    await sweptPast(callback);
    expect(checksOf('/fresh')).toHaveLength(1);
  });
});
