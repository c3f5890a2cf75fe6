import type { Command } from 'commander';
import { loadClientSettings } from '../config.js';
import { httpUrl } from './client.js';

interface AdminOptions {
  hub?: string;
  json?: boolean;
  limit: string;
}

/** GET an admin JSON view of a Crier hub with CRIER_ADMIN_TOKEN; throws a one-line reason. */
async function adminGet(options: AdminOptions, path: string, query: Record<string, string | undefined> = {}): Promise<unknown> {
  const settings = loadClientSettings();
  if (!settings.adminToken) throw new Error("set CRIER_ADMIN_TOKEN to the hub's HUB_ADMIN_TOKEN");
  const url = new URL(`admin/${path}`, httpUrl(options.hub ?? settings.hubUrl, '--hub'));
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  const res = await fetch(url, { headers: { authorization: `Bearer ${settings.adminToken}` }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status === 404 && path === 'status') throw new Error(`${url.origin} has no admin API (is HUB_ADMIN_TOKEN set on the hub?)`);
  if (!res.ok) throw new Error(`GET ${url.pathname} answered ${res.status}: ${text.trim().split('\n')[0]}`);
  return JSON.parse(text);
}

/** Columns padded to their widest cell; the last column is not padded (long URLs stay whole). */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n')}\n`;
}

const when = (iso: unknown) => (typeof iso === 'string' ? iso.replace(/\.\d+Z$/, 'Z') : null);

function print(options: AdminOptions, data: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : human());
}

/** `crier status|topics|subscriptions`: a Crier hub's admin API as tables, or JSON with --json. */
export function registerAdminCommands(program: Command): void {
  const withCommon = (command: Command) =>
    command
      .option('--hub <url>', 'the Crier hub (default $CRIER_HUB_URL or http://localhost:8080/); token from $CRIER_ADMIN_TOKEN')
      .option('--json', 'print the JSON the hub answered, for scripts');

  withCommon(program.command('status').description("a Crier hub's totals and queues")).action(async (options: AdminOptions) => {
    const status = (await adminGet(options, 'status')) as {
      role: string;
      topics: number;
      subscriptions: number;
      failingSubscriptions: number;
      pendingIntents: number;
      queues: Record<string, Record<string, number>>;
    };
    print(options, status, () => {
      const totals = table(
        ['what', 'count'],
        [
          ['topics', status.topics],
          ['subscriptions', status.subscriptions],
          ['failing subscriptions', status.failingSubscriptions],
          ['pending verifications', status.pendingIntents],
        ],
      );
      const states = ['waiting', 'prioritized', 'active', 'delayed', 'failed'];
      const queues = table(
        ['queue', ...states],
        Object.entries(status.queues).map(([name, counts]) => [name, ...states.map((s) => counts[s] ?? 0)]),
      );
      return `${totals}\n${queues}`;
    });
  });

  withCommon(program.command('topics').description("a Crier hub's topics with their last fetch"))
    .option('--url <url>', 'only this topic')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: AdminOptions & { url?: string }) => {
      const topics = (await adminGet(options, 'topics', { url: options.url, limit: options.limit })) as Array<Record<string, unknown>>;
      print(options, topics, () =>
        table(
          ['id', 'subs', 'status', 'fetched', 'error', 'url'],
          topics.map((t) => [
            t.id as number,
            t.subscriptions as number,
            t.lastFetchStatus as number | null,
            when(t.lastFetchAt),
            ((t.lastFetchError ?? t.parseError) as string | null)?.slice(0, 60),
            t.url as string,
          ]),
        ),
      );
    });

  withCommon(program.command('subscriptions').description("a Crier hub's subscriptions with their last delivery"))
    .option('--topic <url>', 'only subscriptions to this topic')
    .option('--callback <url>', 'only subscriptions of this callback')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: AdminOptions & { topic?: string; callback?: string }) => {
      const query = { topic: options.topic, callback: options.callback, limit: options.limit };
      const subs = (await adminGet(options, 'subscriptions', query)) as Array<Record<string, unknown>>;
      print(options, subs, () =>
        table(
          ['id', 'delivery', 'format', 'expires', 'callback', 'topic'],
          subs.map((s) => [
            s.id as number,
            (s.lastDeliveryStatus as string | null) ?? 'none yet',
            (s.format as string | undefined) ?? 'feed',
            when(s.expiresAt),
            s.callback as string,
            s.topicUrl as string,
          ]),
        ),
      );
    });
}
