import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js';
import { loadSeenEntries, recordFetchWithoutContent, type FetchResult } from '../../src/db/fetch-results.js';
import { parseFeed, selectNewContent, type SeenState } from '../../src/feeds/index.js';
import { uniqueName } from '../helpers/hub.js';
import { PG_ADMIN_URL, databaseUrl } from '../helpers/services.js';

/**
 * Issue 26, no burst on upgrade: a database that holds seen entries from
 * before the canonical form (migrations up to 000014, rows with a content
 * hash only) is upgraded, and the first fetch of the topic re-serialised
 * delivers nothing, stores the fingerprints, and a later edit is an update.
 */

const FIRST_WITH_MEANING = '000015_entry_meaning.sql';

const feed = (items: string): Buffer =>
  Buffer.from(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>${items}</channel></rss>`);
const tidy = feed('<item><guid>a</guid><title>A</title></item><item><guid>b</guid><title>B</title></item>');
const reserialised = feed(
  '<item>\n <guid>a</guid>\n <title>A</title>\n</item>\n<item>\n <guid>b</guid>\n <title><![CDATA[B]]></title>\n</item>',
);
const edited = feed('<item>\n <guid>a</guid>\n <title>A</title>\n</item>\n<item>\n <guid>b</guid>\n <title>B, edited</title>\n</item>');

describe('issue 26: upgrading a database that holds seen entries', () => {
  let pool: pg.Pool;
  let dbName: string;
  let oldMigrations: string;

  beforeAll(async () => {
    dbName = `crier_test_${uniqueName()}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    pool = new pg.Pool({ connectionString: databaseUrl(dbName), max: 2 });
    oldMigrations = fs.mkdtempSync(path.join(os.tmpdir(), 'crier-old-migrations-'));
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{6}_.+\.sql$/.test(f) && f < FIRST_WITH_MEANING)) {
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(oldMigrations, f));
    }
  });

  afterAll(async () => {
    await pool.end();
    fs.rmSync(oldMigrations, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  const fetched = (topicId: number, entries: FetchResult['entries']): FetchResult => ({
    topicId,
    startedAt: new Date(),
    status: 200,
    etag: null,
    lastModified: null,
    bodyHash: 'h',
    contentType: 'application/rss+xml',
    parseError: null,
    entries,
    poll: {
      source: 'ping',
      intervalSeconds: 3600,
      reason: 'publisher',
      failures: 0,
      missedByPing: false,
      changed: false,
      nextPollAt: new Date(),
    },
  });

  test('the first changed fetch migrates the stored entries, delivering nothing; the next edit is an update', async () => {
    await migrate(pool, oldMigrations);
    const [{ id }] = (await pool.query(`insert into topics (url) values ('http://publisher.test/feed') returning id`)).rows;
    const topicId = Number(id);
    // What the hub stored before issue 26: each entry's key and the hash of its bytes.
    const before = parseFeed(tidy, 'application/rss+xml');
    if (before.kind !== 'feed') throw new Error('expected a feed');
    const keys = before.doc.entries.map((e) => e.key);
    await pool.query(
      `insert into seen_entries (topic_id, entry_key, content_hash) select $1, k, h from unnest($2::text[], $3::text[]) as e(k, h)`,
      [topicId, keys, before.doc.entries.map((e) => e.contentHash)],
    );

    expect(await migrate(pool)).toEqual([FIRST_WITH_MEANING]);
    const load = async (): Promise<SeenState> => (await loadSeenEntries(pool, [{ topicId, keys }]))[0];
    const upgraded = await load();
    expect([...upgraded.values()].map((s) => (typeof s === 'string' ? s : s.meaning))).toEqual([null, null]);

    const first = selectNewContent(reserialised, 'application/rss+xml', upgraded);
    expect({ new: first.diff?.newKeys, updated: first.diff?.updatedKeys }).toEqual({ new: [], updated: [] });
    expect(first.rendered).toBeUndefined();
    await recordFetchWithoutContent(pool, fetched(topicId, first.diff!.remember));
    const stored = (await pool.query('select meaning from seen_entries where topic_id = $1', [topicId])).rows;
    expect(stored.map((r) => String(r.meaning).slice(0, 3))).toEqual(['m1:', 'm1:']);

    const second = selectNewContent(edited, 'application/rss+xml', await load());
    expect({ new: second.diff?.newKeys, updated: second.diff?.updatedKeys, fields: second.diff?.updatedFields }).toEqual({
      new: [],
      updated: [keys[1]],
      fields: ['title'],
    });
  });
});
