import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { checkWellFormed, describeWellFormedness, parseFeed, selectNewContent, type ParseOutcome } from '../feeds/index.js';

/**
 * `crier feed ...`: look at feeds the way the hub does.
 *   feed inspect <file-or-url>   stdout: JSON: format, title, each entry's identity, key, link, title, dates, hash;
 *                                stderr, for markup: whether a strict XML parser finds it well-formed
 *   feed diff <old> <new>        stdout: the document Crier would deliver for <new> after <old>;
 *                                stderr: a line with the new/updated counts
 * Files are read with fs (content type unknown, so the format is sniffed);
 * URLs are fetched with the global fetch and keep their Content-Type.
 */
const USAGE = 'usage: crier feed inspect <file-or-url>\n       crier feed diff <old-file-or-url> <new-file-or-url>\n';

interface Source {
  body: Buffer;
  contentType: string | undefined;
}

async function load(location: string): Promise<Source> {
  if (/^https?:\/\//i.test(location)) {
    const response = await fetch(location, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`GET ${location} answered ${response.status}`);
    return { body: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type') ?? undefined };
  }
  return { body: await readFile(location), contentType: undefined };
}

function describeOutcome(outcome: ParseOutcome): unknown {
  if (outcome.kind !== 'feed') return outcome;
  const { format, title, selfUrl, hubUrls, entries, problems } = outcome.doc;
  return { kind: 'feed', format, title, selfUrl, hubUrls, entryCount: entries.length, problems: problems ?? [], entries };
}

async function inspect(location: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const source = await load(location);
  const outcome = parseFeed(source.body, source.contentType);
  out.write(`${JSON.stringify(describeOutcome(outcome), null, 2)}\n`);
  // The hub reads feeds leniently; this is a strict reader's verdict, for the publisher (it changes nothing above).
  const verdict = checkWellFormed(source.body, source.contentType);
  if (verdict) err.write(`${describeWellFormedness(verdict)}\n`);
  return outcome.kind === 'unparseable' ? 1 : 0;
}

async function diff(oldLocation: string, newLocation: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [previous, current] = await Promise.all([load(oldLocation), load(newLocation)]);
  const before = parseFeed(previous.body, previous.contentType);
  const seen = new Map(before.kind === 'feed' ? before.doc.entries.map((e) => [e.key, e.contentHash] as const) : []);
  const selection = selectNewContent(current.body, current.contentType, seen);
  if (selection.outcome.kind !== 'feed') {
    // Crier delivers non-feed and unparseable topics whole whenever their bytes change.
    const changed = !previous.body.equals(current.body);
    err.write(`${selection.outcome.kind} document; ${changed ? 'changed, delivered whole' : 'unchanged, nothing delivered'}\n`);
    if (changed) out.write(current.body);
    return 0;
  }
  const { newKeys, updatedKeys } = selection.diff ?? { newKeys: [], updatedKeys: [] };
  const type = selection.rendered ? `, content-type: ${selection.rendered.contentType}` : '';
  err.write(`new: ${newKeys.length}, updated: ${updatedKeys.length}${type}\n`);
  if (selection.rendered) out.write(selection.rendered.body);
  return 0;
}

/** Runs `feed <subcommand> ...` (args after `feed`); resolves to the exit code. */
export async function runFeedCommand(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === 'inspect' && rest.length === 1) return await inspect(rest[0], out, err);
    if (command === 'diff' && rest.length === 2) return await diff(rest[0], rest[1], out, err);
  } catch (failure) {
    err.write(`crier feed ${command}: ${(failure as Error).message}\n`);
    return 1;
  }
  err.write(USAGE);
  return 2;
}

export function registerFeedCommands(program: Command): void {
  const feed = program.command('feed').description('look at feeds the way the hub does');
  feed
    .command('inspect')
    .description("JSON: a feed's format, title and each entry's identity, key, link, title, dates and hash (XML well-formedness on stderr)")
    .argument('<file-or-url>')
    .action(async (location: string) => {
      process.exitCode = await runFeedCommand(['inspect', location], process.stdout);
    });
  feed
    .command('diff')
    .description('the document Crier would deliver for <new> after <old> (counts on stderr)')
    .argument('<old>')
    .argument('<new>')
    .action(async (before: string, after: string) => {
      process.exitCode = await runFeedCommand(['diff', before, after], process.stdout);
    });
}
