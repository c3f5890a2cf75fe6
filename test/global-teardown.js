import fs from 'node:fs/promises';
import pg from 'pg';

const PG_ADMIN_URL = process.env.CRIER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Drops any per-file database a crashed test file of this run left behind,
 * and removes the run's embedded template data directory. Other runs'
 * databases (named with their own CRIER_TEST_RUN) and the shared templates
 * are never touched.
 */
export default async function globalTeardown() {
  const run = process.env.CRIER_TEST_RUN;
  if (!run || !/^[0-9a-f]+$/.test(run)) return;
  const template = process.env.CRIER_TEST_EMBEDDED_TEMPLATE;
  if (template?.endsWith(`-${run}`)) await fs.rm(template, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  // Underscores escaped: a bare `_` matches any character.
  const { rows } = await admin.query(`select datname from pg_database where datname like $1`, [`crier\\_test\\_t\\_${run}\\_%`]);
  for (const row of rows) await admin.query(`drop database if exists ${row.datname}`).catch(() => {});
  await admin.end();
}
