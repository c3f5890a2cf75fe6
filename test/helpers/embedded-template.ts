import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './wait.js';

/**
 * One migrated embedded data directory per jest run, copied for each embedded
 * hub a test starts, the way the PostgreSQL tests clone a template database:
 * a fresh directory costs every hub an initdb (tens of seconds on a busy
 * machine) and the migrations, a copy neither. The first test that needs it
 * builds it, with `crier migrate` from dist/ as an operator would, under a
 * lock (a directory made atomically) that the other jest workers wait on;
 * global-setup.js names it per run and global-teardown.js removes it.
 */

/** The run's template directory, or undefined outside a jest run (each hub then runs initdb itself). */
function templatePath(): string | undefined {
  return process.env.CRIER_TEST_EMBEDDED_TEMPLATE || undefined;
}

/** Builds the template once per run; later callers, in this worker or another, wait for it. */
async function readyTemplate(template: string): Promise<string> {
  const ready = async () => {
    const failed = await fs.readFile(`${template}.failed`, 'utf8').catch(() => undefined);
    if (failed !== undefined) throw new Error(`the embedded template data directory could not be built: ${failed}`);
    return fs.stat(template).then(
      () => true,
      () => false,
    );
  };
  if (await ready()) return template;
  const won = await fs.mkdir(`${template}.lock`).then(
    () => true,
    () => false,
  );
  if (won) await build(template);
  // Another worker builds it: an initdb on a loaded machine can take a minute or more.
  else await waitFor(ready, { timeoutMs: 300_000, intervalMs: 100, what: `embedded template ${template}` });
  return template;
}

/** `crier migrate` into a scratch directory, renamed into place once complete (so waiters never see half of it). */
async function build(template: string): Promise<void> {
  const scratch = `${template}.building`;
  try {
    const stderr = await run(process.execPath, [path.resolve('dist/cli.js'), 'migrate'], {
      PATH: process.env.PATH ?? '',
      HUB_DATA_DIR: scratch,
      LOG_LEVEL: 'warn',
    });
    // A hub makes its own secret.key on its first start: the copies must not share one.
    await fs.rm(path.join(scratch, 'secret.key'), { force: true });
    if (stderr) process.stderr.write(stderr);
    await fs.rename(scratch, template);
  } catch (err) {
    await fs.writeFile(`${template}.failed`, String((err as Error).message ?? err));
    throw err;
  }
}

/** Runs `command`, resolving with what it wrote to stderr once it exits 0. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`))));
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
  const template = templatePath();
  if (template) await copyInto(await readyTemplate(template), dir);
  return dir;
}
