import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { baselineOnlyTakesEffect } from '../../src/db/embedded/open.js';

/**
 * HUB_DB_WASM_BASELINE_ONLY (src/db/embedded/open.ts) changes V8's flags for a
 * whole process, so each case runs in a node process of its own, which opens
 * PGlite as the hub's database thread does, works it, and reports through
 * V8's test natives whether one of PostgreSQL's functions (malloc) has been
 * optimised. The case without the setting is the control: it works until V8
 * has optimised that function, which shows the work is enough to be noticed.
 */
const probe = `
import { openPglite } from ${JSON.stringify(path.resolve('dist/db/embedded/open.js'))};
const [dir, baselineOnly, mode] = process.argv.slice(1);
const db = await openPglite({ dir, sharedBuffersMb: 8, wasmBaselineOnly: baselineOnly === '1' });
await db.exec('create table kv (k int primary key, v text)');
const deadline = Date.now() + 60000;
let queries = 0;
do {
  for (let i = 0; i < 200; i++, queries++) await db.query('insert into kv values ($1, $2) on conflict (k) do update set v = excluded.v', [i, 'v' + queries]);
} while (mode === 'until-optimised' ? !%IsTurboFanFunction(db.mod._malloc) && Date.now() < deadline : queries < 4000);
console.log(JSON.stringify({ queries, optimised: %IsTurboFanFunction(db.mod._malloc), baseline: %IsLiftoffFunction(db.mod._malloc) }));
await db.close();
`;

/** From Node 22 on the setting needs node started with --liftoff-only (src/db/embedded/open.ts, baselineOnlyTakesEffect). */
const startFlag = Number(process.versions.node.split('.')[0]) >= 22 ? ['--liftoff-only'] : [];

async function run(
  baselineOnly: boolean,
  mode: 'until-optimised' | 'fixed',
): Promise<{ queries: number; optimised: boolean; baseline: boolean }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-open-'));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--allow-natives-syntax',
        ...(baselineOnly ? startFlag : []),
        '--input-type=module',
        '-e',
        probe,
        path.join(dir, 'pglite'),
        baselineOnly ? '1' : '0',
        mode,
      ],
      { timeout: 120_000 },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('opening the embedded database', () => {
  test('the setting alone takes effect before Node 22; from 22 on only with node started with --liftoff-only', () => {
    expect(baselineOnlyTakesEffect('v20.20.2', [], undefined)).toBe(true);
    expect(baselineOnlyTakesEffect('v24.21.0', [], undefined)).toBe(false);
    expect(baselineOnlyTakesEffect('v24.21.0', ['--liftoff-only'], undefined)).toBe(true);
    expect(baselineOnlyTakesEffect('v22.1.0', [], '--max-old-space-size=512 --liftoff-only')).toBe(true);
  });

  test('by default V8 optimises PostgreSQL’s hot functions as it works', async () => {
    const result = await run(false, 'until-optimised');
    expect(result).toMatchObject({ optimised: true, baseline: false });
    // The other case's fixed amount of work is more than this took.
    expect(result.queries).toBeLessThanOrEqual(4000);
  }, 150_000);

  test('with HUB_DB_WASM_BASELINE_ONLY, PostgreSQL’s functions stay on baseline code through the same work', async () => {
    const result = await run(true, 'fixed');
    expect(result).toEqual({ queries: 4000, optimised: false, baseline: true });
  }, 150_000);
});
