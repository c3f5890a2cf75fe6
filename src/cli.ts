import { describeConfig, loadConfig, unknownHubVariables, type Config } from './config.js';
import { createDatabase, migrate } from './db/index.js';
import { HubError } from './errors.js';
import { createLogger } from './log.js';
import { startHub, type RunningHub } from './main.js';

const USAGE = `usage: crier [all|web|worker|migrate|config]
       crier feed inspect <file-or-url>
       crier feed diff <old> <new>`;

async function main(args: string[]): Promise<number> {
  const [command = 'all', ...rest] = args;
  if (command === 'feed') {
    const { runFeedCommand } = await import('./feed-cli.js');
    return runFeedCommand(rest, process.stdout);
  }
  if (command === 'help' || command === '--help') {
    console.log(USAGE);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(['all', 'migrate', 'config'].includes(command) ? process.env : { ...process.env, HUB_ROLE: command });
  } catch (err) {
    console.error(`crier: ${(err as Error).message}`);
    return 2;
  }
  if (command === 'config') {
    // What this environment configures, as the hub would read it; secrets and tokens shown only as set.
    for (const [name, value] of describeConfig(config)) console.log(`${name}=${value}`);
    for (const name of unknownHubVariables()) console.error(`crier: ${name} is not a setting Crier reads (misspelt?)`);
    return 0;
  }
  if (command === 'migrate') {
    const db = await createDatabase(config, { log: createLogger(config) });
    const applied = await migrate(db.pool);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'nothing to migrate');
    await db.close();
    return 0;
  }
  if (!['all', 'web', 'worker'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const log = createLogger(config);
  const running: { hub?: RunningHub } = {};
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
  if (hub.url) console.error(`crier listening on ${config.publicUrl} (port ${config.port})`);
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    const message = err instanceof HubError ? err.message : ((err as Error).stack ?? String(err));
    console.error(`crier: ${message}`);
    process.exit(1);
  },
);
