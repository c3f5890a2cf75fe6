import { startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { createStatementBatches, type Queryable } from '../../src/db/index.js';

/**
 * The fetch and delivery statements merged across concurrent jobs (issue 11):
 * requests made side by side share one round trip, and each caller still gets
 * exactly its own answer, on PostgreSQL and on embedded PGlite.
 */
/**
 * A hub for the describe block, and its real pool with each statement noted on
 * its way: the tests count round trips, they change nothing.
 */
function observedHub(backend: 'embedded' | 'pg-redis') {
  const statements: string[] = [];
  const ref = { hub: undefined as unknown as TestHub };
  beforeAll(async () => {
    ref.hub = await startTestHub(backend);
  }, HUB_START_TIMEOUT);
  afterAll(() => ref.hub?.stop());
  beforeEach(() => {
    statements.length = 0;
  });
  const db: Queryable = {
    query: ((text: string, params?: unknown[]) => {
      statements.push(text);
      return ref.hub.hub.deps.db.pool.query(text, params);
    }) as Queryable['query'],
  };
  const hub = {
    query: <T>(text: string, params?: unknown[]) => ref.hub.query<T>(text, params),
  };
  return { hub, statements, db };
}

describe.each(['embedded', 'pg-redis'] as const)('statement batches on %s', (backend) => {
  const { hub, statements, db } = observedHub(backend);

  async function topic(url: string): Promise<number> {
    const [row] = await hub.query<{ id: number }>('insert into topics (url) values ($1) returning id', [url]);
    return row.id;
  }

  test('concurrent topic lookups share one statement; a deleted topic answers undefined to its caller alone', async () => {
    const a = await topic('http://batch.example/a.xml');
    const b = await topic('http://batch.example/b.xml');
    await hub.query("insert into seen_entries (topic_id, entry_key, content_hash) values ($1, 'k1', 'h1'), ($1, 'k2', 'h2')", [a]);
    const batches = createStatementBatches(db, { deliverPageSize: 2000 });

    const [foundA, foundB, missing, againA] = await Promise.all([
      batches.topicForFetch(a),
      batches.topicForFetch(b),
      batches.topicForFetch(987_654_321),
      batches.topicForFetch(a),
    ]);

    expect(statements).toHaveLength(1);
    expect(foundA?.topic.url).toBe('http://batch.example/a.xml');
    expect(foundA?.seenCount).toBe(2);
    expect(foundB?.topic.url).toBe('http://batch.example/b.xml');
    expect(foundB?.seenCount).toBe(0);
    expect(missing).toBeUndefined();
    expect(againA?.topic.id).toBe(a);
  });

  test("concurrent seen-entry lookups share one statement and each gets only its own topic's history", async () => {
    const a = await topic('http://batch.example/seen-a.xml');
    const b = await topic('http://batch.example/seen-b.xml');
    await hub.query(
      "insert into seen_entries (topic_id, entry_key, content_hash) values ($1, 'same-key', 'ha'), ($1, 'only-a', 'hx'), ($2, 'same-key', 'hb')",
      [a, b],
    );
    const batches = createStatementBatches(db, { deliverPageSize: 2000 });

    const [seenA, seenB, none] = await Promise.all([
      batches.seenEntries({ topicId: a, keys: ['same-key', 'new-in-a'] }),
      batches.seenEntries({ topicId: b, keys: ['same-key', 'only-a'] }),
      batches.seenEntries({ topicId: b, keys: [] }),
    ]);

    expect(statements).toHaveLength(1);
    // Rows without a fingerprint (issue 26) come back with a null one.
    expect([...seenA]).toEqual([['same-key', { contentHash: 'ha', meaning: null }]]);
    expect([...seenB]).toEqual([['same-key', { contentHash: 'hb', meaning: null }]]);
    expect(none.size).toBe(0);
  });

  test('concurrent pages store their outcomes, hand-overs and counts in one statement; the later page of one subscriber stands', async () => {
    const t = await topic('http://batch.example/pages.xml');
    const subs = await hub.query<{ id: number }>(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at)
       select $1, 'http://sub.example/' || g, 3600, now() + interval '1 hour' from generate_series(1, 3) g returning id`,
      [t],
    );
    await hub.query("insert into contents (hash, content_type, body) values ('batch-hash', 'text/plain', 'x') on conflict do nothing");
    const notes = await hub.query<{ id: number }>(
      "insert into notifications (topic_id, content_hash) select $1, 'batch-hash' from generate_series(1, 2) returning id",
      [t],
    );
    const [countsBefore] = await hub.query<{ delivered: number; failed: number }>(
      'select coalesce(sum(delivered), 0)::int as delivered, coalesce(sum(failed), 0)::int as failed from delivery_counts',
    );
    const batches = createStatementBatches(db, { deliverPageSize: 2000 });
    const later = new Date(Date.now() + 60_000);

    await Promise.all([
      batches.pageOutcomes({
        outcomes: [
          { subscriptionId: subs[0].id, status: 'delivered', error: null, nextRetryAt: null },
          { subscriptionId: subs[1].id, status: 'retrying', error: 'HTTP 500', nextRetryAt: later },
        ],
        handedOverNotificationId: notes[0].id,
        counts: { delivered: 1, failed: 1 },
      }),
      batches.pageOutcomes({
        outcomes: [{ subscriptionId: subs[1].id, status: 'delivered', error: null, nextRetryAt: null }],
        handedOverNotificationId: notes[1].id,
        counts: { delivered: 1, failed: 0 },
      }),
      batches.pageOutcomes({ outcomes: [], counts: { delivered: 0, failed: 0 } }),
    ]);

    expect(statements).toHaveLength(1);
    const rows = await hub.query<{ id: number; last_delivery_status: string | null }>(
      'select id, last_delivery_status from subscriptions where topic_id = $1 order by id',
      [t],
    );
    expect(rows.map((r) => r.last_delivery_status)).toEqual(['delivered', 'delivered', null]);
    const handed = await hub.query<{ enqueued: boolean }>(
      'select enqueued_at is not null as enqueued from notifications where id = any($1::bigint[])',
      [notes.map((n) => n.id)],
    );
    expect(handed.map((h) => h.enqueued)).toEqual([true, true]);
    const [countsAfter] = await hub.query<{ delivered: number; failed: number }>(
      'select coalesce(sum(delivered), 0)::int as delivered, coalesce(sum(failed), 0)::int as failed from delivery_counts',
    );
    expect(countsAfter.delivered - countsBefore.delivered).toBe(2);
    expect(countsAfter.failed - countsBefore.failed).toBe(1);
  });

  test('a failing batch fails each of its callers, and the next batch works', async () => {
    const batches = createStatementBatches(db, { deliverPageSize: 2000 });
    const results = await Promise.allSettled([
      batches.seenEntries({ topicId: 1, keys: ['a\u0000b'] }),
      batches.seenEntries({ topicId: 2, keys: ['fine'] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(batches.seenEntries({ topicId: 2, keys: ['fine'] })).resolves.toEqual(new Map());
  });
});

describe.each(['embedded', 'pg-redis'] as const)('storing new content in batches on %s', (backend) => {
  const { hub, statements, db } = observedHub(backend);

  const poll = { source: 'ping' as const, intervalSeconds: 300, reason: 'changes', failures: 0, missedByPing: false, changed: true };
  function store(topicId: number, tag: string) {
    return {
      result: {
        topicId,
        startedAt: new Date(),
        status: 200,
        etag: `"${tag}"`,
        lastModified: null,
        bodyHash: `body-${tag}`,
        contentType: 'application/rss+xml',
        parseError: null,
        entries: [{ key: `${tag}-1`, contentHash: 'h1' }],
        poll: { ...poll, nextPollAt: new Date(Date.now() + 300_000) },
      },
      content: {
        hash: `content-${tag}`,
        contentType: 'application/rss+xml',
        body: Buffer.from(`<rss>${tag}</rss>`),
        newEntries: 1,
        updatedEntries: 0,
        updatedKeys: [],
        claimSeconds: 30,
      },
    };
  }

  test('concurrent stores of distinct topics share one statement, draw their ids in order and each get their own first page', async () => {
    const topics = await hub.query<{ id: number }>(
      "insert into topics (url) select 'http://store.example/' || g || '.xml' from generate_series(1, 3) g returning id",
    );
    await hub.query(
      `insert into subscriptions (topic_id, callback, lease_seconds, expires_at)
       values ($1, 'http://sub.example/a', 3600, now() + interval '1 hour'), ($2, 'http://sub.example/b', 3600, now() + interval '1 hour')`,
      [topics[0].id, topics[1].id],
    );
    const batches = createStatementBatches(db, { deliverPageSize: 2000 });

    const stored = await Promise.all(topics.map((t, i) => batches.storeContent(store(t.id, `t${i}`))));

    expect(statements).toHaveLength(1);
    expect(stored.map((s) => s.notificationId)).toEqual([...stored.map((s) => s.notificationId)].sort((a, b) => a - b));
    expect(stored[0].firstPage.map((t) => t.callback)).toEqual(['http://sub.example/a']);
    expect(stored[1].firstPage.map((t) => t.callback)).toEqual(['http://sub.example/b']);
    expect(stored[2].firstPage).toEqual([]);
    const rows = await hub.query<{ topic_id: number; etag: string; seen: number }>(
      `select n.topic_id, t.etag, (select count(*)::int from seen_entries s where s.topic_id = n.topic_id) as seen
       from notifications n join topics t on t.id = n.topic_id where n.id = any($1::bigint[]) order by n.id`,
      [stored.map((s) => s.notificationId)],
    );
    expect(rows).toEqual(topics.map((t, i) => ({ topic_id: t.id, etag: `"t${i}"`, seen: 1 })));
  });

  test('a store that cannot land fails alone; a second store of one topic in the batch lands after it', async () => {
    const [t] = await hub.query<{ id: number }>("insert into topics (url) values ('http://store.example/again.xml') returning id");
    const batches = createStatementBatches(db, { deliverPageSize: 2000 });

    const results = await Promise.allSettled([
      batches.storeContent(store(t.id, 'first')),
      batches.storeContent(store(987_654_321, 'no-such-topic')),
      batches.storeContent(store(t.id, 'second')),
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.notificationId] : []));
    expect(ids[0]).toBeLessThan(ids[1]);
    const [topic] = await hub.query<{ etag: string }>('select etag from topics where id = $1', [t.id]);
    expect(topic.etag).toBe('"second"');
  });
});
