// Runs outside jest's module mapping, so it uses the build `npm test` makes first (pretest).
import net from 'node:net';
import pg from 'pg';
import { migrate } from '../dist/db/migrate.js';

const PG_ADMIN_URL = process.env.CRIER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEMPLATE_DB = 'crier_test_template';

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

/** Fails fast when PostgreSQL or Redis is not there, then builds the migrated template database. */
export default async function globalSetup() {
  const [pgUp, redisUp] = await Promise.all([probe('127.0.0.1', 5432), probe('127.0.0.1', 6379)]);
  if (!pgUp || !redisUp) {
    throw new Error(`tests need PostgreSQL on 127.0.0.1:5432 (${pgUp ? 'up' : 'DOWN'}) and Redis on 127.0.0.1:6379 (${redisUp ? 'up' : 'DOWN'}); .ci/run starts them`);
  }
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${TEMPLATE_DB}`;
  const pool = new pg.Pool({ connectionString: url.href, max: 1 });
  await migrate(pool);
  await pool.end();
}
