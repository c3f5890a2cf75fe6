import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Each embedded hub a test starts copies the run's migrated template data
 * directory, the way the PostgreSQL tests clone a template database: a fresh
 * directory costs every hub an initdb (tens of seconds on a busy machine) and
 * the migrations, a copy neither. global-setup.js builds the template once per
 * run (`crier migrate` from dist/, outside any hook's timeout) and names it in
 * CRIER_TEST_EMBEDDED_TEMPLATE; global-teardown.js removes it.
 */

/** Runs `command`, resolving once it exits 0. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`))));
  });
}

/** Copies the template's content into `dir`, modes kept: cp -a, ten times faster than fs.cp over a thousand small files. */
async function copyInto(template: string, dir: string): Promise<void> {
  try {
    await run('cp', ['-a', `${template}/.`, dir]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.cp(template, dir, { recursive: true });
  }
}

/**
 * A new data directory for an embedded hub (HUB_DATA_DIR), named `prefix...` under the temporary
 * directory: a copy of the run's migrated template, or empty outside a jest run. The caller removes it.
 */
export async function embeddedDataDir(prefix = 'crier-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const template = process.env.CRIER_TEST_EMBEDDED_TEMPLATE;
  if (template) await copyInto(template, dir);
  return dir;
}
