import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runFeedCommand } from '../../../src/cli/feed.js';
import { FIXTURES_DIR } from './fixtures.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('crier feed', () => {
  const feedFile = path.join(FIXTURES_DIR, 'rss2-two-items.xml');

  it('inspect prints the format, title and each entry identity as JSON', async () => {
    const out = sink();
    expect(await runFeedCommand(['inspect', feedFile], out.stream)).toBe(0);
    const report = JSON.parse(out.text());
    expect(report).toMatchObject({ kind: 'feed', format: 'rss', title: 'Two items', entryCount: 2 });
    expect(report.entries.map((e: { id: string }) => e.id)).toEqual(['urn:example:2', 'urn:example:1']);
  });

  it('inspect says on stderr that a well-formed feed is well-formed', async () => {
    const out = sink();
    const err = sink();
    expect(await runFeedCommand(['inspect', feedFile], out.stream, err.stream)).toBe(0);
    expect(err.text()).toBe('well-formed: yes\n');
    expect(JSON.parse(out.text())).toMatchObject({ kind: 'feed', entryCount: 2 });
  });

  it('inspect names where a strict parser refuses a malformed feed, and the hub still reads it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crier-feed-cli-'));
    const file = path.join(dir, 'malformed.xml');
    writeFileSync(file, '<rss version="2.0"><channel><title>Broken</title>\n<item><guid>urn:a</guid><b></item></channel></rss>');
    const out = sink();
    const err = sink();
    expect(await runFeedCommand(['inspect', file], out.stream, err.stream)).toBe(0);
    expect(err.text()).toMatch(/^well-formed: no \(line 2, col \d+: .*'b'.*\)\n$/);
    expect(JSON.parse(out.text())).toMatchObject({ kind: 'feed', format: 'rss', entryCount: 1 });
  });

  it('inspect gives no well-formedness line for a JSON Feed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crier-feed-cli-'));
    const file = path.join(dir, 'feed.json');
    writeFileSync(file, JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'J', items: [{ id: '1' }] }));
    const err = sink();
    expect(await runFeedCommand(['inspect', file], sink().stream, err.stream)).toBe(0);
    expect(err.text()).toBe('');
  });

  it('diff prints only the entries that are new relative to the old file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crier-feed-cli-'));
    const oldFile = path.join(dir, 'old.xml');
    writeFileSync(oldFile, '<rss version="2.0"><channel><title>Two items</title></channel></rss>');
    const out = sink();
    expect(await runFeedCommand(['diff', oldFile, feedFile], out.stream)).toBe(0);
    expect(out.text()).toContain('urn:example:1');
    expect(out.text()).toContain('urn:example:2');
  });

  it('an unknown subcommand prints usage and exits 2', async () => {
    expect(await runFeedCommand(['frobnicate'], sink().stream)).toBe(2);
  });

  it('a missing file exits 1', async () => {
    expect(await runFeedCommand(['inspect', path.join(FIXTURES_DIR, 'does-not-exist.xml')], sink().stream)).toBe(1);
  });
});
