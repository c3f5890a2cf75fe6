import pg from 'pg';

const PG_ADMIN_URL = process.env.CRIER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Drops any per-file database a crashed test file left behind. Without
 * `force`: a database another jest run is still using is left alone.
 */
export default async function globalTeardown() {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  // Underscores escaped: a bare `_` matches any character, and so matched the shared templates.
  const { rows } = await admin.query(`select datname from pg_database where datname like 'crier\\_test\\_t\\_%'`);
  for (const row of rows) await admin.query(`drop database if exists ${row.datname}`).catch(() => {});
  await admin.end();
}
