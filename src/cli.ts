import { Command } from 'commander';
import { HubError } from './errors.js';
import { registerAdminCommands } from './cli/admin.js';
import { registerDiscoverCommand } from './cli/discover.js';
import { registerFeedCommands } from './cli/feed.js';
import { registerListenCommand } from './cli/listen.js';
import { registerServeCommands } from './cli/serve.js';
import { registerWebSubCommands } from './cli/websub.js';

/**
 * `npx crier ...`: runs a hub (all, web, worker, migrate, config), looks at
 * feeds (feed), speaks WebSub to any hub (subscribe, unsubscribe, publish,
 * listen, discover) and reads a Crier hub's admin API (status, topics,
 * subscriptions). commander parses and gives every command --help.
 */
const program = new Command('crier')
  .description('Crier, a WebSub hub, and a command line for any WebSub hub')
  .usage('[options] [command]')
  .showHelpAfterError('(add --help for usage)');

registerServeCommands(program);
registerWebSubCommands(program);
registerListenCommand(program);
registerDiscoverCommand(program);
registerAdminCommands(program);
registerFeedCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Expected failures are one line; anything else keeps its stack for a bug report.
  const message =
    err instanceof HubError || !(err instanceof Error) || !err.stack || isPlain(err) ? String((err as Error).message ?? err) : err.stack;
  process.stderr.write(`crier: ${message}\n`);
  process.exit(1);
});

/** Errors the CLI raises about its input or a peer (a plain Error or a network failure), not bugs. */
function isPlain(err: Error): boolean {
  return err.constructor === Error || err.name === 'TimeoutError' || err.name === 'AbortError' || err.message === 'fetch failed';
}
