// Runs outside jest's module mapping, so it uses the build `npm test` makes first (pretest).
import { spawn } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, MIGRATIONS_DIR } from '../dist/db/migrate.js';

const PG_ADMIN_URL = process.env.CRIER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function probe(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Fails fast when PostgreSQL or Redis is not there, then builds the migrated template database and embedded data directory. */
export default async function globalSetup() {
  const [pgUp, redisUp] = await Promise.all([probe('127.0.0.1', 5432), probe('127.0.0.1', 6379)]);
  if (!pgUp || !redisUp) {
    throw new Error(
      `tests need PostgreSQL on 127.0.0.1:5432 (${pgUp ? 'up' : 'DOWN'}) and Redis on 127.0.0.1:6379 (${redisUp ? 'up' : 'DOWN'}); .ci/run starts them`,
    );
  }
  // Names every database this run creates, so its teardown drops only its own.
  process.env.CRIER_TEST_RUN = crypto.randomBytes(3).toString('hex');
  // The run's migrated embedded data directory, copied for each embedded hub (test/helpers/embedded-template.ts);
  // built here, beside the template database, so no hook's timeout pays for it. The teardown removes it.
  const embedded = buildEmbeddedTemplate(path.join(os.tmpdir(), `crier-embedded-template-${process.env.CRIER_TEST_RUN}`));
  await Promise.all([buildTemplateDb(), embedded]);
  process.env.CRIER_TEST_EMBEDDED_TEMPLATE = await embedded;
}

/** The migrated template database for this checkout's migrations, shared by every run (built once). */
async function buildTemplateDb() {
  // Several jest runs share the server, possibly from checkouts with different migrations:
  // each set of migrations gets its own template, named by their hash, built once by one
  // runner at a time and never rebuilt under another run's clones. The tests read its name
  // from the environment, which jest's workers inherit. A comment marks a finished build
  // (connecting to a template would block clones).
  const version = await migrationsHash();
  const TEMPLATE_DB = `crier_test_template_${version.slice(0, 12)}`;
  process.env.CRIER_TEST_TEMPLATE_DB = TEMPLATE_DB;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const { rows } = await admin.query(`select shobj_description(oid, 'pg_database') as version from pg_database where datname = $1`, [
      TEMPLATE_DB,
    ]);
    if (rows[0]?.version === version) return;
    await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.query(`create database ${TEMPLATE_DB}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${TEMPLATE_DB}`;
    const pool = new pg.Pool({ connectionString: url.href, max: 1 });
    await migrate(pool);
    await pool.end();
    await admin.query(`comment on database ${TEMPLATE_DB} is '${version}'`);
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]).catch(() => {});
    await admin.end();
  }
}

const TEMPLATE_LOCK = 0x637274;

/**
 * Makes `dir` an embedded data directory with every migration applied, as an operator's `crier migrate`
 * does (initdb included), without the secret.key a first start writes: each copy makes its own.
 */
async function buildEmbeddedTemplate(dir) {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  const env = { PATH: process.env.PATH ?? '', HUB_DATA_DIR: dir, LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [cli, 'migrate'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0)
    throw new Error(`crier migrate could not build the embedded template data directory ${dir} (exit ${code}): ${stderr.trim()}`);
  await fs.rm(path.join(dir, 'secret.key'), { force: true });
  return dir;
} // any fixed key shared by every jest run

/** Hash of every migration file's name and content. */
async function migrationsHash() {
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const hash = crypto.createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(await fs.readFile(path.join(MIGRATIONS_DIR, file)))
      .update('\0');
  return hash.digest('hex');
}
