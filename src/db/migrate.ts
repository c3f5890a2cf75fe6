import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { HubError } from '../errors.js';
import { withTransaction } from './pool.js';

/** migrations/ at the package root, from src/db or dist/db alike. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

const LOCK_KEY = 0x637269; // "cri": any fixed key shared by every runner

/**
 * Applies pending migrations/NNNNNN_name.sql files in order, each in its own
 * transaction under an advisory lock, so concurrent runners apply each once.
 */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  await withTransaction(pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(`
      create table if not exists schema_migrations (
        id integer primary key, name text not null, applied_at timestamptz not null default now())`);
  });
  const files = (await fs.readdir(dir)).filter((f) => /^\d{6}_.+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const id = Number(file.slice(0, 6));
    const sql = await fs.readFile(path.join(dir, file), 'utf8');
    try {
      const ran = await withTransaction(pool, async (client) => {
        await client.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
        const done = await client.query('select 1 from schema_migrations where id = $1', [id]);
        if (done.rowCount) return false;
        await client.query('insert into schema_migrations (id, name) values ($1, $2)', [id, file]);
        await client.query(sql);
        return true;
      });
      if (ran) applied.push(file);
    } catch (err) {
      throw new HubError('HUB_ERR_MIGRATION', `migration ${file} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}
