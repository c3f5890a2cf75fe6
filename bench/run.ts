/**
 * `npm run bench [-- --quick] [-- --n 10000] [-- --backend embedded] [-- --profile] [-- --hub-env KEY=VALUE] [-- --format json] [-- <scenario>...]`
 * `--format json`: the fan-out's subscriptions take crier.format=json (JSON Feed deliveries).
 * Scenarios: fanout, latency, subscribe, topics, poll, stream, resume, memory (from fanout), idle (embedded idle RSS), feeds,
 * fetch (CPU per topic GET: the hub's undici fetcher and the former got one against raw undici); default all.
 * Each hub runs as a child process configured like production; peers run in
 * their own processes; every figure is reported against a baseline measured
 * in the same run. Writes bench/results/latest.json and latest.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileMarkdown, runFeedsBench, runHostileBench, type FeedsBenchRow, type HostileBenchRow } from './feeds.js';
import { runFetchBench } from './fetch.js';
import { startChild } from './lib/child.js';
import type { BenchContext, Row } from './lib/context.js';
import { BACKENDS, type Backend } from './lib/hub.js';
import { fanout } from './scenarios/fanout.js';
import { idleMemory } from './scenarios/idle-memory.js';
import { latency } from './scenarios/latency.js';
import { manyTopics } from './scenarios/many-topics.js';
import { poll } from './scenarios/poll.js';
import { resume } from './scenarios/resume.js';
import { stream } from './scenarios/stream.js';
import { subscribe } from './scenarios/subscribe.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['fanout', 'memory', 'latency', 'subscribe', 'topics', 'poll', 'stream', 'resume', 'idle', 'feeds', 'fetch'];

interface Args {
  quick: boolean;
  sizes: number[] | undefined;
  backends: Backend[];
  profile: boolean;
  env: Record<string, string>;
  format: 'feed' | 'json';
  scenarios: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, sizes: undefined, backends: BACKENDS, profile: false, env: {}, format: 'feed', scenarios: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--profile') args.profile = true;
    else if (a === '--format') args.format = argv[++i] === 'json' ? 'json' : 'feed';
    else if (a === '--hub-env') {
      const [key, ...value] = argv[++i].split('=');
      args.env[key] = value.join('=');
    } else if (a === '--n') args.sizes = argv[++i].split(',').map(Number);
    else if (a === '--backend') {
      const wanted = argv[++i];
      args.backends = BACKENDS.filter((b) => b.startsWith(wanted));
    } else if (SCENARIOS.includes(a)) args.scenarios.push(a);
    else
      throw new Error(
        `unknown argument "${a}"; scenarios: ${SCENARIOS.join(', ')}; flags: --quick --n N[,N] --backend postgres|embedded --profile --hub-env KEY=VALUE --format feed|json`,
      );
  }
  if (args.scenarios.length === 0) args.scenarios = SCENARIOS;
  return args;
}

const fmt = (v: number | null) =>
  v === null || Number.isNaN(v) ? '' : v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

function toMarkdown(
  rows: Row[],
  feeds: FeedsBenchRow[] | undefined,
  hostile: HostileBenchRow[] | undefined,
  meta: Record<string, string>,
): string {
  const lines = [`Command: \`${meta.command}\` on ${meta.machine}, ${meta.date}.`, ''];
  if (rows.length) {
    lines.push(
      '| scenario | backend | N | metric | hub | baseline (same run) | ratio | target | |',
      '| --- | --- | ---: | --- | ---: | --- | ---: | --- | --- |',
    );
    for (const r of rows) {
      const verdict = r.met === undefined ? '' : r.met ? 'met' : '**missed**';
      lines.push(
        `| ${r.scenario} | ${r.backend} | ${r.n} | ${r.metric} | ${fmt(r.hub)} | ${r.baseline === null ? '' : `${fmt(r.baseline)} ${r.baselineLabel}`} | ${fmt(r.ratio)} | ${r.target ?? ''} | ${verdict}${r.note ? ` ${r.note}` : ''} |`,
      );
    }
  }
  if (feeds) {
    lines.push('', '| feed engine | MB/s | entries/s | ratio to fastest competitor |', '| --- | ---: | ---: | ---: |');
    for (const r of feeds)
      lines.push(`| ${r.parser} | ${r.mbPerSec.toFixed(1)} | ${Math.round(r.entriesPerSec)} | ${r.ratio.toFixed(2)} |`);
  }
  if (hostile) lines.push('', hostileMarkdown(hostile));
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  const rows: Row[] = [];
  let feeds: FeedsBenchRow[] | undefined;
  let hostile: HostileBenchRow[] | undefined;
  const wantsHub = args.scenarios.some((s) => s !== 'feeds');
  const failures: string[] = [];
  /** A failed scenario is reported in the table and fails the run, but the others still run. */
  const attempt = async <T>(scenario: string, backend: Backend | '-', n: number, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (err) {
      const message = ((err as Error).message ?? String(err)).split('\n')[0].slice(0, 200);
      log(`  FAILED: ${message}`);
      failures.push(`${scenario} ${backend} ${n}`);
      rows.push({
        scenario,
        backend,
        n,
        metric: 'failed',
        hub: NaN,
        baseline: null,
        baselineLabel: '',
        ratio: null,
        met: false,
        note: message.replace(/\|/g, '/'),
      });
      return undefined;
    }
  };

  const servers = startChild('servers-child.ts');
  const raw = startChild('raw-client-child.ts');
  try {
    let ctx: BenchContext | undefined;
    if (wantsHub) {
      const { sinkPorts, publisherPort } = await servers.call('start', { sinks: 8 });
      const profileDir = args.profile ? path.join(HERE, 'results', 'profiles') : undefined;
      if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
      ctx = { quick: args.quick, servers, raw, sinkPorts, publisherPort, profileDir, hubEnv: args.env, format: args.format, log };
      log(
        `sinks on ${sinkPorts.length} ports, publisher on ${publisherPort}; backends: ${args.backends.join(', ')}${args.quick ? ' (quick)' : ''}`,
      );
    }
    for (const backend of args.backends) {
      if (!ctx) break;
      if (args.scenarios.includes('idle') && backend === 'embedded') {
        log(`idle memory, ${backend}, first start and restart`);
        rows.push(...((await attempt('idle memory', backend, 0, () => idleMemory(ctx, backend))) ?? []));
      }
      if (args.scenarios.includes('fanout') || args.scenarios.includes('memory')) {
        const sizes = args.sizes ?? (args.quick ? [200] : args.scenarios.includes('fanout') ? [1000, 10_000, 50_000] : [10_000, 50_000]);
        const peaks = new Map<number, number>();
        for (const n of sizes) {
          log(`fan-out, ${backend}, ${n} subscribers`);
          const result = await attempt('fan-out', backend, n, () => fanout(ctx, backend, n));
          if (!result) continue;
          peaks.set(n, result.peakMb);
          if (args.scenarios.includes('fanout')) rows.push(...result.rows);
        }
        if (args.scenarios.includes('memory')) {
          for (const [n, mb] of peaks) {
            const growth = n === 50_000 && peaks.has(10_000) ? mb - peaks.get(10_000)! : undefined;
            rows.push({
              scenario: 'memory',
              backend,
              n,
              metric: 'peak RSS MB (VmHWM)',
              hub: mb,
              baseline: n === 50_000 && peaks.has(10_000) ? peaks.get(10_000)! : null,
              baselineLabel: n === 50_000 ? 'MB at 10k' : '',
              ratio: null,
              ...(growth !== undefined ? { target: 'growth < 50 MB', met: growth < 50, note: `growth ${growth.toFixed(1)} MB` } : {}),
            });
          }
        }
      }
      if (args.scenarios.includes('latency')) {
        log(`latency, ${backend}`);
        rows.push(
          ...((await attempt('latency', backend, args.quick ? 50 : 500, () => latency(ctx, backend, args.quick ? 50 : 500))) ?? []),
        );
      }
      if (args.scenarios.includes('subscribe')) {
        const n = args.quick ? 200 : 10_000;
        log(`subscribe, ${backend}, ${n} requests`);
        rows.push(...((await attempt('subscribe', backend, n, () => subscribe(ctx, backend, n))) ?? []));
      }
      if (args.scenarios.includes('topics')) {
        const n = args.sizes?.[0] ?? (args.quick ? 200 : 10_000);
        log(`many topics, ${backend}, ${n} topics`);
        rows.push(...((await attempt('many topics', backend, n, () => manyTopics(ctx, backend, n))) ?? []));
        log(`many topics, ${backend}, ${n} deliveries, 3 subscribers per topic`);
        rows.push(...((await attempt('many topics', backend, n, () => manyTopics(ctx, backend, n, 3))) ?? []));
        // One topic per ping, as a publisher of one feed pings: the shape issue 11 measured against a Go hub.
        log(`many topics, ${backend}, ${n} topics, one hub.url per ping, 64 pings in flight`);
        rows.push(
          ...((await attempt('many topics', backend, n, () => manyTopics(ctx, backend, n, 1, { urlsPerPing: 1, inFlight: 64 }))) ?? []),
        );
      }
      // Polling is measured where it scales out: PostgreSQL + Redis (issue 13).
      if (args.scenarios.includes('poll') && backend === 'postgres+redis') {
        const n = args.sizes?.[0] ?? (args.quick ? 2000 : 100_000);
        log(`poll, ${backend}, ${n} topics`);
        rows.push(...((await attempt('poll', backend, n, () => poll(ctx, backend, n))) ?? []));
      }
      // Event streams are measured where web processes hold them at scale: PostgreSQL + Redis (issue 14).
      if (args.scenarios.includes('stream') && backend === 'postgres+redis') {
        const n = args.sizes?.[0] ?? (args.quick ? 200 : 5000);
        log(`stream, ${backend}, ${n} stream clients`);
        rows.push(...((await attempt('stream', backend, n, () => stream(ctx, backend, n))) ?? []));
      }
      // Streams resuming on a topic of big updates while /healthz is probed (issue 20, item 3).
      if (args.scenarios.includes('resume')) {
        log(`resume, ${backend}, 10 streams resuming on 49 updates of 1 MiB`);
        rows.push(...((await attempt('resume', backend, 10, () => resume(ctx, backend))) ?? []));
      }
    }
    if (ctx && args.scenarios.includes('fetch')) {
      log('topic fetch path, CPU per GET');
      const options = { quick: args.quick, publisherPort: ctx.publisherPort, log: (s: string) => log(`  ${s}`) };
      rows.push(...((await attempt('topic fetch', '-', 0, () => runFetchBench(options))) ?? []));
    }
    if (args.scenarios.includes('feeds')) {
      log('feeds engine');
      feeds = (await runFeedsBench({ quick: args.quick, log: (s) => log(`  ${s}`) })).rows;
      hostile = runHostileBench({ quick: args.quick, log: (s) => log(`  ${s}`) });
    }
  } finally {
    await Promise.all([servers.close(), raw.close()]);
  }

  const meta = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: `2-core node-svc machine, shared (${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, Node ${process.version})`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  };
  const md = toMarkdown(rows, feeds, hostile, meta);
  const out = path.join(HERE, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify({ ...meta, quick: args.quick, rows, feeds, hostile }, null, 2)}\n`);
  fs.writeFileSync(path.join(out, 'latest.md'), md);
  process.stdout.write(`\n${md}`);
  log(`done; wrote bench/results/latest.md and latest.json`);
  if (failures.length) log(`failed scenarios: ${failures.join(', ')}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
