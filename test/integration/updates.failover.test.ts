import pg from 'pg';
import { EventSource } from 'eventsource';
import { TEST_ENV, provisionBackend, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { spawnHub, type HubProcess } from '../helpers/faults.js';
import { rss } from '../helpers/feeds.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const CLIENTS = 100;
const TOPICS = 10;
/** Each client streams three topics: i, i+3 and i+7 (mod TOPICS), so every topic has 30 readers. */
const topicsOf = (client: number) => [client % TOPICS, (client + 3) % TOPICS, (client + 7) % TOPICS];
/** Publish rounds (one new entry on every topic each); web process A is killed once every client has an event. */
const ROUNDS = 8;

/**
 * A real EventSource client (the eventsource package) whose requests go to the first web process
 * that answers: A, else B. The package itself reconnects after the stream breaks and sends
 * Last-Event-ID; this only chooses where that request goes, as a client with a list of hub URLs would.
 */
function openClient(bases: string[], query: string, firstLastEventId: number) {
  const ids: number[] = [];
  const served: string[] = [];
  const source = new EventSource(`${bases[0]}?${query}`, {
    fetch: async (input, init) => {
      const headers = { ...(init?.headers as Record<string, string>) };
      // The first request resumes after the set-up updates; later ones carry the package's own Last-Event-ID.
      headers['Last-Event-ID'] ??= String(firstLastEventId);
      let failure: unknown;
      for (const base of bases) {
        try {
          const res = await fetch(`${base}${new URL(String(input)).search}`, { ...init, headers });
          served.push(base);
          return res;
        } catch (err) {
          if (init?.signal?.aborted) throw err;
          failure = err;
        }
      }
      throw failure;
    },
  });
  source.addEventListener('notification', (e) => ids.push(Number(e.lastEventId)));
  let opened = false;
  source.addEventListener('open', () => void (opened = true));
  return { source, ids, served, opened: () => opened };
}

// Issue 14: streams are held by web processes; one dies with its streams open, the clients resume on another.
describe('a web process SIGKILLed under 100 open streams (PostgreSQL + Redis, two web processes and a worker)', () => {
  let cleanup: () => Promise<void>;
  let db: pg.Pool;
  let a: HubProcess;
  let b: HubProcess;
  let worker: HubProcess;
  let publisher: Publisher;
  let subscriber: Subscriber;
  const clients: Array<ReturnType<typeof openClient>> = [];

  beforeAll(async () => {
    const provisioned = await provisionBackend('pg-redis');
    cleanup = () => provisioned.cleanup();
    db = new pg.Pool({ connectionString: provisioned.env.DATABASE_URL, max: 2 });
    // Its cleanup drops the database with force while an ended connection may still be closing (roles.multiprocess).
    db.on('error', () => undefined);
    // Every client comes from 127.0.0.1: the per-address cap must let all of them onto one process.
    const env = { ...TEST_ENV, ...provisioned.env, HUB_MAX_STREAMS_PER_CLIENT: '1000' };
    [a, b, worker] = await Promise.all([spawnHub('web', env), spawnHub('web', env), spawnHub('worker', env)]);
    publisher = await startPublisher();
    subscriber = await startSubscriber();
  }, HUB_START_TIMEOUT);

  afterAll(async () => {
    for (const client of clients) client.source.close();
    for (const p of [a, b, worker]) if (p && p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await Promise.all([a, b, worker].filter(Boolean).map((p) => p.exited));
    await publisher?.close();
    await subscriber?.close();
    await db?.end();
    await cleanup?.();
  });

  const count = async () => Number((await db.query('select count(*) as n from notifications')).rows[0].n);
  const items: string[][] = Array.from({ length: TOPICS }, () => []);

  /** Adds one entry to every topic, pings them all in one request to B, and waits until the worker stored all of them. */
  async function round(r: number): Promise<void> {
    const before = await count();
    for (let t = 0; t < TOPICS; t++) {
      items[t].unshift(`t${t}-r${r}`);
      publisher.set(`/fo${t}.xml`, { body: rss(items[t]), contentType: 'application/rss+xml' });
    }
    const form = new URLSearchParams({ 'hub.mode': 'publish' });
    for (let t = 0; t < TOPICS; t++) form.append('hub.url', publisher.topicUrl(`/fo${t}.xml`));
    const res = await fetch(b.url!, { method: 'POST', body: form });
    expect(res.status).toBe(204);
    await waitFor(async () => (await count()) === before + TOPICS, { timeoutMs: 20_000, what: `round ${r} stored` });
  }

  test('every client ends with every update of its topics exactly once and in order, none missing', async () => {
    const topics = Array.from({ length: TOPICS }, (_, t) => publisher.topicUrl(`/fo${t}.xml`));
    for (const topic of topics) {
      const res = await fetch(b.url!, {
        method: 'POST',
        body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/fo`, 'hub.topic': topic }),
      });
      expect(res.status).toBe(202);
    }
    await waitFor(async () => Number((await db.query('select count(*) as n from subscriptions')).rows[0].n) === TOPICS, {
      what: 'verification of the callbacks',
    });
    await round(0);
    const baseline = Number((await db.query('select max(id) as id from notifications')).rows[0].id);

    for (let i = 0; i < CLIENTS; i++) {
      const query = new URLSearchParams({ 'hub.mode': 'retrieve', wait: 'stream' });
      for (const t of topicsOf(i)) query.append('hub.topic', topics[t]);
      clients.push(openClient([a.url!, b.url!], query.toString(), baseline));
    }
    await waitFor(() => clients.every((c) => c.opened()), { what: `${CLIENTS} streams open on A` });
    expect(clients.every((c) => c.served.every((base) => base === a.url))).toBe(true);

    // Updates keep coming while A dies: the rounds run on, and A is SIGKILLed once every client has had an event from it.
    const publishing = (async () => {
      for (let r = 1; r <= ROUNDS; r++) await round(r);
    })();
    await waitFor(() => clients.every((c) => c.ids.length > 0), { timeoutMs: 20_000, what: 'an event on every stream from A' });
    a.proc.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    await publishing;

    // What each client is owed: every update of its topics after the set-up, from the log itself.
    const { rows } = await db.query(
      'select n.id, t.url from notifications n join topics t on t.id = n.topic_id where n.id > $1 order by n.id',
      [baseline],
    );
    expect(rows).toHaveLength(ROUNDS * TOPICS);
    const owed = clients.map((_, i) => {
      const mine = new Set(topicsOf(i).map((t) => topics[t]));
      return rows.filter((r) => mine.has(r.url)).map((r) => Number(r.id));
    });
    await waitFor(() => clients.every((c, i) => c.ids.length >= owed[i].length), {
      timeoutMs: 30_000,
      what: 'every update on every client',
    }).catch(() => undefined); // the comparison below shows what is missing
    // First the totals (a readable failure), then every client's exact sequence.
    const total = { missing: 0, duplicated: 0, outOfOrder: 0 };
    clients.forEach((c, i) => {
      total.missing += owed[i].filter((id) => !c.ids.includes(id)).length;
      total.duplicated += c.ids.length - new Set(c.ids).size;
      total.outOfOrder += c.ids.filter((id, k) => k > 0 && id < c.ids[k - 1]).length;
    });
    expect(total).toEqual({ missing: 0, duplicated: 0, outOfOrder: 0 });
    expect(clients.map((c) => c.ids)).toEqual(owed);
    // Every client resumed on B after A died.
    expect(clients.filter((c) => c.served.includes(b.url!))).toHaveLength(CLIENTS);
  }, 120_000);
});
