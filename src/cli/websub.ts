import type { Command } from 'commander';
import { accepted, describeAnswer, httpUrl, postForm } from './client.js';
import { subscribeFromOpml } from './opml.js';

interface SubscriptionOptions {
  hub: string;
  topic?: string;
  callback: string;
  secret?: string;
  lease?: string;
  fromOpml?: string;
}

/** `crier subscribe|unsubscribe` and `crier publish`: plain WebSub requests to any hub. */
export function registerWebSubCommands(program: Command): void {
  for (const mode of ['subscribe', 'unsubscribe'] as const) {
    const command = program
      .command(mode)
      .description(`ask a WebSub hub to ${mode} a callback ${mode === 'subscribe' ? 'to' : 'from'} a topic and print what it answered`)
      .requiredOption('--hub <url>', "the hub's URL")
      .option('--topic <url>', 'the topic (feed) URL')
      .requiredOption('--callback <url>', "the subscriber's callback URL")
      .option('--secret <secret>', 'hub.secret: the hub signs deliveries with it (X-Hub-Signature)')
      .option('--lease <seconds>', 'hub.lease_seconds: how long the subscription should last');
    if (mode === 'subscribe') command.option('--from-opml <file>', 'subscribe the callback to every feed of an OPML reading list');
    command.action(async (options: SubscriptionOptions) => {
      const hub = httpUrl(options.hub, '--hub');
      const callback = httpUrl(options.callback, '--callback');
      if (options.lease !== undefined && !/^\d+$/.test(options.lease)) throw new Error('--lease must be a whole number of seconds');
      const fields = { 'hub.callback': callback, 'hub.secret': options.secret, 'hub.lease_seconds': options.lease };
      if (options.fromOpml !== undefined) {
        if (options.topic !== undefined) throw new Error('give --topic or --from-opml, not both');
        process.exitCode = await subscribeFromOpml(options.fromOpml, hub, fields);
        return;
      }
      if (options.topic === undefined) throw new Error(`${mode} needs --topic`);
      const answer = await postForm(hub, { 'hub.mode': mode, 'hub.topic': httpUrl(options.topic, '--topic'), ...fields });
      process.stdout.write(describeAnswer(answer));
      process.exitCode = accepted(answer) ? 0 : 1;
    });
  }

  program
    .command('publish')
    .description('tell a WebSub hub that topics changed (hub.mode=publish) and print what it answered')
    .requiredOption('--hub <url>', "the hub's URL")
    .argument('<url...>', 'the topic URLs that changed')
    .action(async (urls: string[], options: { hub: string }) => {
      const hub = httpUrl(options.hub, '--hub');
      const answer = await postForm(hub, { 'hub.mode': 'publish', 'hub.url': urls.map((u) => httpUrl(u, 'a topic')) });
      process.stdout.write(describeAnswer(answer));
      process.exitCode = accepted(answer) ? 0 : 1;
    });
}
