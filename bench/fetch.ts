/**
 * The topic fetch path alone (issue 23): CPU per topic GET through the hub's fetcher (undici), through
 * the got fetcher it replaced (bench/lib/got-topic-fetcher.ts) and through a raw undici.request loop,
 * all in this process, one after the other in alternating rounds, against the bench publisher in its
 * own process on loopback. Two shapes: a full 200 with a small feed (a ping's fetch) and a conditional
 * GET answered 304 (a poll that finds nothing new). The figure is the best round's CPU microseconds
 * per GET; the ratio is against the raw loop of the same run. Standalone: `npx tsx bench/fetch.ts [--quick]`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent } from 'undici';
import { createTopicFetcher, USER_AGENT, type TopicFetcher, type TopicFetcherOptions } from '../src/net/topic-fetcher.js';
import { startChild } from './lib/child.js';
import type { Row } from './lib/context.js';
import { createGotTopicFetcher } from './lib/got-topic-fetcher.js';

const IN_FLIGHT = 16;
const ROUNDS = 3;

const OPTIONS: TopicFetcherOptions = {
  allowPrivateNetworks: false,
  allowAddresses: ['127.0.0.1/32'],
  maxContentBytes: 5 * 1024 * 1024,
  connectTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  fetchMinBytesPerSecond: 1024,
};

type Get = (i: number) => Promise<unknown>;

/** Runs `count` GETs with IN_FLIGHT at once; returns the CPU microseconds (user + system) per GET. */
async function cpuPerGet(count: number, get: Get): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count) await get(next++);
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/** The floor: undici.request on a keep-alive agent, the body read whole, no checks. */
function rawLoop(agent: Agent, origin: string, path: (i: number) => string, etag: string | undefined): Get {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'gzip, deflate, br' };
  if (etag) headers['if-none-match'] = etag;
  return async (i) => {
    const res = await agent.request({ origin, path: path(i), method: 'GET', headers });
    return Buffer.from(await res.body.arrayBuffer());
  };
}

export interface FetchBenchOptions {
  quick: boolean;
  publisherPort: number;
  log(line: string): void;
}

export async function runFetchBench(options: FetchBenchOptions): Promise<Row[]> {
  const n = options.quick ? 2000 : 10_000;
  const origin = `http://127.0.0.1:${options.publisherPort}`;
  const agent = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  const undici = createTopicFetcher(OPTIONS);
  const got = createGotTopicFetcher(OPTIONS);
  const rows: Row[] = [];
  try {
    const shapes = [
      { shape: '200, small feed', path: (i: number) => `/feed/f${i % 100}`, etag: undefined },
      { shape: '304, conditional', path: (i: number) => `/poll/p${i % 100}`, etag: '"p1"' },
    ];
    for (const { shape, path, etag } of shapes) {
      const through =
        (fetcher: TopicFetcher): Get =>
        (i) =>
          fetcher.fetchTopic(`${origin}${path(i)}`, { etag });
      const paths: Array<[string, Get]> = [
        ['raw', rawLoop(agent, origin, path, etag)],
        ['undici', through(undici)],
        ['got', through(got)],
      ];
      const best = new Map<string, number>();
      for (const [, get] of paths) await cpuPerGet(Math.min(n, 1000), get); // warm-up: JIT, connections
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, get] of paths) {
          const us = await cpuPerGet(n, get);
          best.set(name, Math.min(best.get(name) ?? Infinity, us));
          options.log(`${shape}, round ${round + 1}: ${name} ${us.toFixed(1)} us CPU per GET`);
        }
      }
      const raw = best.get('raw')!;
      for (const name of ['undici', 'got']) {
        const us = best.get(name)!;
        rows.push({
          scenario: 'topic fetch',
          backend: '-',
          n,
          metric: `CPU us per GET, ${shape}, ${name === 'undici' ? 'hub fetcher (undici)' : 'former got fetcher'}`,
          hub: us,
          baseline: raw,
          baselineLabel: 'us raw undici.request',
          ratio: us / raw,
          note: name === 'undici' ? `${(best.get('got')! / us).toFixed(1)}x less CPU than got` : undefined,
        });
      }
    }
  } finally {
    undici.close();
    got.close();
    await agent.close();
  }
  return rows;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const servers = startChild('servers-child.ts');
  try {
    const { publisherPort } = await servers.call<{ publisherPort: number }>('start', { sinks: 0 });
    const rows = await runFetchBench({ quick, publisherPort, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write('| metric | us | raw us | ratio | |\n| --- | ---: | ---: | ---: | --- |\n');
    for (const r of rows)
      process.stdout.write(
        `| ${r.metric} | ${r.hub.toFixed(1)} | ${r.baseline!.toFixed(1)} | ${r.ratio!.toFixed(2)} | ${r.note ?? ''} |\n`,
      );
  } finally {
    await servers.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
