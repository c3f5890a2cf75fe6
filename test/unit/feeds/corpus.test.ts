import { describe, expect, it } from '@jest/globals';
import { parseFeed } from '../../../src/feeds/index.js';
import { MANIFEST_FORMAT, readCorpusFile, readManifest } from './corpus-manifest.js';

const manifest = readManifest();

/**
 * Files whose `format` is `other` in the manifest (CDF, an unknown root, HTML,
 * gzip bytes, an empty file) have no entry_count to hold the engine to; the
 * engine must classify them without throwing. Manifest rows the engine reads
 * differently on purpose are listed here with the reason (none at present).
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

describe('the third-party feed corpus', () => {
  it('lists files to test', () => {
    expect(manifest.length).toBeGreaterThan(300);
  });

  const wellformed = manifest.filter((f) => f.expectation === 'wellformed' && f.format !== 'other' && !(f.file in KNOWN_DIFFERENCES));
  it.each(wellformed.map((f) => [f.file, f] as const))(
    'well-formed %s yields the manifest entry count with distinct identities',
    (_name, f) => {
      const outcome = parseFeed(readCorpusFile(f.file), f.contentType);
      expect(outcome.kind).toBe('feed');
      if (outcome.kind !== 'feed') return;
      expect(MANIFEST_FORMAT[f.format]).toContain(outcome.doc.format);
      expect(outcome.doc.entries).toHaveLength(f.entryCount ?? 0);
      const ids = new Set(outcome.doc.entries.map((e) => e.id));
      const keys = new Set(outcome.doc.entries.map((e) => e.key));
      expect(ids.size).toBe(outcome.doc.entries.length);
      expect(keys.size).toBe(outcome.doc.entries.length);
      for (const e of outcome.doc.entries) {
        expect(e.key).toMatch(/^[0-9a-f]{64}$/);
        expect(e.contentHash).toMatch(/^[0-9a-f]{64}$/);
      }
    },
  );

  it.each(wellformed.map((f) => [f.file, f] as const))('well-formed %s is read without any recovery', (_name, f) => {
    const outcome = parseFeed(readCorpusFile(f.file), f.contentType);
    expect(outcome.kind === 'feed' && outcome.doc.problems).toBeFalsy();
  });

  // A malformed feed is never read in silence: it is unparseable with a reason, or read with its problems listed.
  const malformedFeeds = manifest.filter((f) => f.expectation === 'malformed' && f.format !== 'other' && f.format !== 'json');
  it.each(malformedFeeds.map((f) => [f.file, f] as const))('malformed %s is read with its problems reported', (_name, f) => {
    const outcome = parseFeed(readCorpusFile(f.file), f.contentType);
    if (outcome.kind === 'unparseable') {
      expect(outcome.reason).not.toBe('');
      return;
    }
    expect(outcome.kind).toBe('feed');
    if (outcome.kind !== 'feed') return;
    expect(MANIFEST_FORMAT[f.format]).toContain(outcome.doc.format);
    expect(outcome.doc.problems?.length).toBeGreaterThan(0);
    expect(new Set(outcome.doc.entries.map((e) => e.key)).size).toBe(outcome.doc.entries.length);
  });

  // Invalid JSON is plain unless it claims to be a JSON Feed; the manifest's `other` files are not feeds.
  const others = manifest.filter((f) => f.expectation === 'malformed' && (f.format === 'other' || f.format === 'json'));
  it.each(others.map((f) => [f.file, f] as const))('non-feed or invalid %s is classified as not a feed', (_name, f) => {
    const outcome = parseFeed(readCorpusFile(f.file), f.contentType);
    expect(['plain', 'unparseable']).toContain(outcome.kind);
    if (outcome.kind === 'unparseable') expect(outcome.reason).not.toBe('');
  });

  const wellformedOthers = manifest.filter((f) => f.expectation === 'wellformed' && f.format === 'other');
  it.each(wellformedOthers.map((f) => [f.file, f] as const))('well-formed non-feed %s is plain, or Atom without namespace', (_name, f) => {
    const outcome = parseFeed(readCorpusFile(f.file), f.contentType);
    // A `feed` root in no namespace is read as Atom, as feedparser does (the manifest notes `ns=none`).
    if (f.formatVersion === 'feed (ns=none)') expect(outcome).toMatchObject({ kind: 'feed', doc: { format: 'atom' } });
    else expect(outcome).toEqual({ kind: 'plain' });
  });

  it('reads the feed title of feeds that use undeclared HTML entities', () => {
    const titles = Object.fromEntries(
      ['entities__hellip.xml', 'entities__nbsp.xml', 'entities__eacute.xml', 'entities__doesnotexist.xml'].map((name) => {
        const o = parseFeed(readCorpusFile(`feedparser/${name}`), undefined);
        return [name, o.kind === 'feed' ? o.doc.title : undefined];
      }),
    );
    expect(titles).toEqual({
      'entities__hellip.xml': 'testing \u2026 entity',
      'entities__nbsp.xml': 'testing \u00a0 entity',
      'entities__eacute.xml': 'testing \u00e9 entity',
      'entities__doesnotexist.xml': 'testing &doesnotexist; entity',
    });
  });

  it('classifies gzip-compressed bodies as unparseable and HTML as plain', () => {
    expect(parseFeed(readCorpusFile('node-feedparser/compressed.xml'), 'application/rss+xml').kind).toBe('unparseable');
    expect(parseFeed(readCorpusFile('node-feedparser/notafeed.html'), 'application/rss+xml').kind).toBe('plain');
  });
});
