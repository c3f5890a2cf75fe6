import fs from 'node:fs';
import pg from 'pg';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js';
import { uniqueName } from '../helpers/hub.js';
import { PG_ADMIN_URL, databaseUrl } from '../helpers/services.js';

const FILES = fs
  .readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d{6}_.+\.sql$/.test(f))
  .sort();

describe('migration runner on PostgreSQL', () => {
  const created: string[] = [];
  const pools: pg.Pool[] = [];

  /** An empty database (not the migrated template) and a pool on it. */
  async function freshDatabase(): Promise<pg.Pool> {
    const name = `crier_test_${uniqueName()}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    created.push(name);
    const pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
    pools.push(pool);
    return pool;
  }

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  test('a fresh database gets every migration, in order, each recorded once', async () => {
    expect(FILES.length).toBeGreaterThan(0);
    const pool = await freshDatabase();
    expect(await migrate(pool)).toEqual(FILES);
    const { rows } = await pool.query('select id, name from schema_migrations order by id');
    expect(rows.map((r) => r.name)).toEqual(FILES);
    expect(rows.map((r) => r.id)).toEqual(FILES.map((f) => Number(f.slice(0, 6))));
    const tables = await pool.query(`select table_name from information_schema.tables where table_schema = 'public'`);
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['topics', 'subscriptions', 'intents', 'contents', 'notifications', 'deliveries']),
    );
  });

  test('a second run applies nothing and changes nothing', async () => {
    const pool = await freshDatabase();
    await migrate(pool);
    const before = (await pool.query('select id, applied_at from schema_migrations order by id')).rows;
    expect(await migrate(pool)).toEqual([]);
    expect((await pool.query('select id, applied_at from schema_migrations order by id')).rows).toEqual(before);
  });

  test('two concurrent runners both succeed and each migration is applied and recorded once', async () => {
    const a = await freshDatabase();
    const b = new pg.Pool({ connectionString: databaseUrl(created[created.length - 1]), max: 2 });
    pools.push(b);
    const [ranA, ranB] = await Promise.all([migrate(a), migrate(b)]);
    expect([...ranA, ...ranB].sort()).toEqual(FILES);
    const { rows } = await a.query('select name, count(*)::int as n from schema_migrations group by name order by name');
    expect(rows).toEqual(FILES.map((name) => ({ name, n: 1 })));
  });

  test('a failing migration is reported with its file name and leaves nothing of itself behind', async () => {
    const pool = await freshDatabase();
    const dir = fs.mkdtempSync(`${process.env.TMPDIR ?? '/tmp'}/crier-migrations-`);
    try {
      fs.writeFileSync(`${dir}/000001_ok.sql`, 'create table ok_table (id int);');
      fs.writeFileSync(`${dir}/000002_broken.sql`, 'create table half_done (id int); select no_such_function();');
      await expect(migrate(pool, dir)).rejects.toThrow(/000002_broken\.sql/);
      const { rows } = await pool.query('select name from schema_migrations');
      expect(rows.map((r) => r.name)).toEqual(['000001_ok.sql']);
      expect((await pool.query(`select to_regclass('half_done') as t`)).rows[0].t).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
