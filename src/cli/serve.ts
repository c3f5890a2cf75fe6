import type { Command } from 'commander';
import { describeConfig, loadConfig, unknownHubVariables, type Config } from '../config.js';

// The hub's modules (database, queues, PGlite) load only for the commands that run it: the
// client commands start in a fraction of the time.

/** The environment as the hub reads it; a bad value ends the command with one line naming it (exit 2). */
function configFor(role?: 'web' | 'worker'): Config | undefined {
  try {
    return loadConfig(role ? { ...process.env, HUB_ROLE: role } : process.env);
  } catch (err) {
    process.stderr.write(`crier: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return undefined;
  }
}

/** Runs the hub (or one role of it) until SIGTERM/SIGINT, then drains within HUB_SHUTDOWN_TIMEOUT_MS. */
async function serve(role?: 'web' | 'worker'): Promise<void> {
  const config = configFor(role);
  if (!config) return;
  const [{ createLogger }, { startHub }] = await Promise.all([import('../log.js'), import('../main.js')]);
  const log = createLogger(config);
  const running: { hub?: { close(): Promise<void> } } = {};
  let stopping = false;
  const stop = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      log.error('drain timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    (running.hub?.close() ?? Promise.resolve()).then(
      () => process.exit(code),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // The embedded database's thread died: nothing can be stored, so drain what can be and exit non-zero for the supervisor.
  const hub = (running.hub = await startHub(config, { log, onFatal: () => stop('embedded database lost', 1) }));
  if (hub.url) process.stderr.write(`crier listening on ${config.publicUrl} (port ${config.port})\n`);
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** all (the default), web, worker, migrate and config: running and preparing a hub. */
export function registerServeCommands(program: Command): void {
  // `crier` alone runs the hub too; an unknown command is still an error, not an argument of `all`.
  program
    .argument('[command]')
    .action((command: string | undefined) =>
      command === undefined ? serve() : program.error(`crier: unknown command '${command}'`, { exitCode: 2 }),
    );
  program
    .command('all')
    .description('run the hub: HTTP front and workers in one process (the default)')
    .action(() => serve());
  program
    .command('web')
    .description('run the HTTP front only (HUB_ROLE=web)')
    .action(() => serve('web'));
  program
    .command('worker')
    .description('run the queue workers only (HUB_ROLE=worker); /metrics on HUB_METRICS_PORT')
    .action(() => serve('worker'));
  program
    .command('migrate')
    .description('apply the database migrations and exit')
    .action(async () => {
      const config = configFor();
      if (!config) return;
      const [{ createLogger }, { createDatabase, migrate }] = await Promise.all([import('../log.js'), import('../db/index.js')]);
      const db = await createDatabase(config, { log: createLogger(config) });
      const applied = await migrate(db.pool);
      process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'nothing to migrate\n');
      await db.close();
    });
  program
    .command('config')
    .description('print the settings this environment makes (keys and tokens shown only as set)')
    .action(() => {
      const config = configFor();
      if (!config) return;
      for (const [name, value] of describeConfig(config)) process.stdout.write(`${name}=${value}\n`);
      for (const name of unknownHubVariables()) process.stderr.write(`crier: ${name} is not a setting Crier reads (misspelt?)\n`);
    });
}
