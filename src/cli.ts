import { Command } from 'commander';
import { HubError } from './errors.js';
import { registerAdminCommands } from './cli/admin.js';
import { registerDiscoverCommand } from './cli/discover.js';
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

const feed = program.command('feed').description('look at feeds the way the hub does');
feed
  .command('inspect')
  .description("JSON: a feed's format, title and each entry's identity, key, link, title, dates and hash (XML well-formedness on stderr)")
  .argument('<file-or-url>')
  .action(async (location: string) => {
    const { runFeedCommand } = await import('./feed-cli.js');
    process.exitCode = await runFeedCommand(['inspect', location], process.stdout);
  });
feed
  .command('diff')
  .description('the document Crier would deliver for <new> after <old> (counts on stderr)')
  .argument('<old>')
  .argument('<new>')
  .action(async (before: string, after: string) => {
    const { runFeedCommand } = await import('./feed-cli.js');
    process.exitCode = await runFeedCommand(['diff', before, after], process.stdout);
  });

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
