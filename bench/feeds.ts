/**
 * Feed engine throughput: parse + diff (identity and hashing included) over
 * the well-formed feeds of the shared corpus, for Crier's engine and, in the
 * same run, three popular parsers. Standalone: `npx tsx bench/feeds.ts`
 * (`--quick` for a short run) prints a markdown table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseFeed as rowanParseFeed } from '@rowanmanning/feed-parser';
import { parseFeed as feedsmithParseFeed } from 'feedsmith';
import RssParser from 'rss-parser';
import { diffEntries, parseFeed } from '../src/feeds/index.js';
import { analyse } from '../src/feeds/parse.js';
import { meaningSource } from '../src/feeds/entry-meaning.js';
import { HOSTILE_SHAPES } from '../test/helpers/hostile-feeds.js';

export interface FeedsBenchRow {
  parser: string;
  mbPerSec: number;
  entriesPerSec: number;
  /** MB/s divided by the fastest competitor's MB/s (Crier's engine is not a competitor). */
  ratio: number;
}

interface Input {
  body: Buffer;
  text: string;
  contentType: string | undefined;
  entries: number;
}

// A first fetch: every entry new, so each one's canonical form is made (issue 26) besides its identity and hashes.
const CRIER = 'crier (parse + diffEntries, canonical forms)';

function loadInputs(): Input[] {
  const dir = path.resolve(process.env.CRIER_CORPUS_DIR ?? path.join(process.cwd(), '../shared/corpus/feeds'));
  if (!fs.existsSync(path.join(dir, 'MANIFEST.tsv'))) return [];
  const lines = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  const inputs: Input[] = [];
  for (const line of lines) {
    const [file, , , , format, expectation, count, , notes = ''] = line.split('\t');
    if (expectation !== 'wellformed' || format === 'other') continue;
    const body = fs.readFileSync(path.join(dir, file));
    const contentType = /test-http-header:Content-type:\s*([^;]+)/i.exec(notes)?.[1].trim();
    inputs.push({ body, text: body.toString('utf8'), contentType, entries: Number(count) || 0 });
  }
  return inputs;
}

type Runner = (input: Input) => unknown;

const EMPTY_SEEN: ReadonlyMap<string, string> = new Map();

function runners(): Array<[string, Runner]> {
  const rss = new RssParser();
  return [
    [
      CRIER,
      (input) => {
        const analysis = analyse(input.body, input.contentType);
        return analysis.kind === 'other' ? analysis.outcome : diffEntries(EMPTY_SEEN, analysis.outcome.doc, meaningSource(analysis, []));
      },
    ],
    ['rss-parser (parseString)', (input) => rss.parseString(input.text).catch(() => undefined)],
    ['@rowanmanning/feed-parser (parseFeed)', (input) => rowanParseFeed(input.text)],
    ['feedsmith (parseFeed)', (input) => feedsmithParseFeed(input.text)],
  ];
}

/** One pass over every input; parsers that reject a file still spent the time. */
async function pass(run: Runner, inputs: Input[]): Promise<void> {
  for (const input of inputs) {
    try {
      const result = run(input);
      if (result instanceof Promise) await result;
    } catch {
      // Competitors reject some formats (e.g. JSON Feed); the time counts anyway.
    }
  }
}

export interface HostileBenchRow {
  shape: string;
  /** Crier's parse of the 1 MB document. */
  mbPerSec: number;
  /** Time at 1 MB over time at 100 KB in this run: about 10 when linear, 100 when quadratic. */
  growth: number;
}

function bestSeconds(body: Buffer, rounds: number): number {
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    parseFeed(body, 'application/rss+xml', 60_000);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

/** Crier's engine on each hostile shape at 100 KB and 1 MB (competitors are not run: some never return). */
export function runHostileBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): HostileBenchRow[] {
  const rounds = opts.quick ? 2 : 5;
  return Object.entries(HOSTILE_SHAPES).map(([shape, make]) => {
    const small = Buffer.from(make(100 * 1024));
    const large = Buffer.from(make(1024 * 1024));
    bestSeconds(large, 1);
    const largeSeconds = bestSeconds(large, rounds);
    const row = { shape, mbPerSec: large.length / 1e6 / largeSeconds, growth: largeSeconds / bestSeconds(small, rounds) };
    opts.log?.(`hostile ${shape}: ${row.mbPerSec.toFixed(1)} MB/s, growth ${row.growth.toFixed(1)}x`);
    return row;
  });
}

/** Runs the benchmark and returns one row per parser. */
export async function runFeedsBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<{ rows: FeedsBenchRow[] }> {
  const log = opts.log ?? (() => undefined);
  const inputs = loadInputs();
  if (inputs.length === 0) {
    log('third-party feed corpus not found (set CRIER_CORPUS_DIR): feed engine comparison skipped');
    return { rows: [] };
  }
  const bytes = inputs.reduce((sum, i) => sum + i.body.length, 0);
  const entries = inputs.reduce((sum, i) => sum + i.entries, 0);
  const minSeconds = opts.quick ? 0.5 : 3;
  const warmups = opts.quick ? 1 : 3;
  log(`corpus: ${inputs.length} well-formed feeds, ${(bytes / 1e6).toFixed(2)} MB, ${entries} entries per pass`);
  const measured: Array<{ parser: string; mbPerSec: number; entriesPerSec: number }> = [];
  for (const [name, run] of runners()) {
    for (let i = 0; i < warmups; i++) await pass(run, inputs);
    let passes = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minSeconds) {
      await pass(run, inputs);
      passes++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    const row = { parser: name, mbPerSec: (bytes * passes) / 1e6 / elapsed, entriesPerSec: (entries * passes) / elapsed };
    log(`${name}: ${row.mbPerSec.toFixed(1)} MB/s over ${passes} passes`);
    measured.push(row);
  }
  const fastestCompetitor = Math.max(...measured.filter((r) => r.parser !== CRIER).map((r) => r.mbPerSec));
  return { rows: measured.map((r) => ({ ...r, ratio: r.mbPerSec / fastestCompetitor })) };
}

function toMarkdown(rows: FeedsBenchRow[], hostile: HostileBenchRow[]): string {
  const lines = ['| parser | MB/s | entries/s | ratio to fastest competitor |', '| --- | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.parser} | ${r.mbPerSec.toFixed(1)} | ${Math.round(r.entriesPerSec)} | ${r.ratio.toFixed(2)} |`);
  return `${lines.join('\n')}\n\n${hostileMarkdown(hostile)}`;
}

/** The hostile-input table: Crier's MB/s at 1 MB and how time grew from 100 KB. */
export function hostileMarkdown(rows: HostileBenchRow[]): string {
  const lines = ['| hostile shape (crier) | MB/s at 1 MB | time 1 MB / 100 KB |', '| --- | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.shape} | ${r.mbPerSec.toFixed(1)} | ${r.growth.toFixed(1)} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const opts = { quick: process.argv.includes('--quick'), log: (s: string) => process.stderr.write(`${s}\n`) };
  const { rows } = await runFeedsBench(opts);
  process.stdout.write(`${toMarkdown(rows, runHostileBench(opts))}\n`);
}
