import { describe, expect, it } from '@jest/globals';
import { parseAtomFeed } from 'feedsmith';
import { parseFeed, toJsonFeed } from '../../../src/feeds/index.js';
import { readCorpusFile, readManifest } from './corpus-manifest.js';

const manifest = readManifest();
const TOPIC = 'https://example.com/topic';

/** What a crier.format=json subscriber relies on: a JSON Feed 1.1 whose every item has an id and content. */
function expectValidJsonFeed(feed: Record<string, unknown>): Array<Record<string, unknown>> {
  expect(typeof feed.version === 'string' && feed.version.startsWith('https://jsonfeed.org/version/')).toBe(true);
  expect(Array.isArray(feed.items)).toBe(true);
  const items = feed.items as Array<Record<string, unknown>>;
  for (const item of items) {
    expect(['string', 'number']).toContain(typeof item.id);
    expect(typeof item.content_html === 'string' || typeof item.content_text === 'string').toBe(true);
    const crier = item._crier as { seq: number; status: string; id: string };
    expect(crier.seq).toBe(9);
    expect(['new', 'updated']).toContain(crier.status);
    expect(typeof crier.id).toBe('string');
  }
  return items;
}

describe('JSON Feed delivery over the third-party feed corpus', () => {
  it('lists files to convert', () => {
    expect(manifest.length).toBeGreaterThan(300);
  });

  it.each(manifest.map((f) => [f.file, f] as const))('%s converts to a valid JSON Feed with one item per parsed entry', (_name, f) => {
    const body = readCorpusFile(f.file);
    const outcome = parseFeed(body, f.contentType);
    const contentType = f.contentType ?? (f.format === 'json' ? 'application/feed+json' : 'application/xml');
    const doc = toJsonFeed({ seq: 9, body, contentType, newEntries: 1, updatedEntries: 0 }, TOPIC);
    expect(doc.contentType).toBe('application/feed+json; charset=utf-8');
    const items = expectValidJsonFeed(JSON.parse(doc.body.toString('utf8')));
    // A feed: one item per entry the engine reads; anything else is delivered whole, as one item.
    expect(items).toHaveLength(outcome.kind === 'feed' ? outcome.doc.entries.length : 1);
    if (outcome.kind === 'feed') expect(items.map((i) => (i._crier as { id: string }).id)).toEqual(outcome.doc.entries.map((e) => e.id));
  });
});

/** An Atom text construct as feedsmith reads it. */
type Construct = { value?: string; type?: string } | undefined;

/** Tag names in an HTML fragment, in order, prefixes dropped. */
function tagNames(html: string): string[] {
  return [...html.matchAll(/<([A-Za-z][\w.:-]*)/g)].map((m) => m[1].replace(/^.*:/, '').toLowerCase());
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Issue 20, item 15, over the corpus's Atom 1.0 documents, read independently by feedsmith: for every entry
 * with one content-like element (content or summary), text becomes content_text equal to its text, html
 * content_html equal to its HTML, xhtml content_html holding the same elements; titles are plain text.
 */
describe('Atom text constructs in JSON Feed over the corpus', () => {
  // Left out: documents whose content the feed validator reports as not the inline markup its type says.
  const atomFiles = manifest.filter((f) => f.format === 'atom1' && f.expectation === 'wellformed' && !f.notes.includes('NotInline'));
  const checked = { text: 0, html: 0, xhtml: 0, titles: 0 };

  it.each(atomFiles.map((f) => [f.file, f] as const))('%s', (_name, f) => {
    const body = readCorpusFile(f.file);
    let theirs: { entries?: Array<{ content?: Construct; summary?: Construct; title?: Construct }> };
    try {
      theirs = parseAtomFeed(body.toString('utf8'));
    } catch {
      return; // feedsmith does not read every document (entry documents, some encodings): no second reading to compare with.
    }
    const doc = toJsonFeed({ seq: 9, body, contentType: f.contentType ?? 'application/atom+xml', newEntries: 1, updatedEntries: 0 }, TOPIC);
    const items = JSON.parse(doc.body.toString('utf8')).items as Array<Record<string, string | undefined>>;
    const entries = theirs.entries ?? [];
    if (entries.length !== items.length) return;
    entries.forEach((entry, i) => {
      const item = items[i];
      if (item.title !== undefined) {
        checked.titles++;
        if (entry.title?.type === 'html' || entry.title?.type === 'xhtml') expect(item.title).not.toMatch(/<[A-Za-z/!]/);
        if (entry.title?.type === 'html') expect(squash(item.title)).toBe(squash((entry.title.value ?? '').replace(/<[^>]*>/g, ' ')));
      }
      const constructs = [entry.content, entry.summary].filter((c) => c?.value !== undefined && c.value.trim() !== '');
      if (constructs.length !== 1) return;
      const [c] = constructs as Array<{ value: string; type?: string }>;
      const type = c.type ?? 'text';
      if (type === 'text') {
        checked.text++;
        expect(item.content_html).toBeUndefined();
        expect(squash(item.content_text ?? '')).toBe(squash(c.value));
      } else if (type === 'html') {
        checked.html++;
        expect(item.content_text).toBeUndefined();
        expect(squash(item.content_html ?? '')).toBe(squash(c.value));
      } else if (type === 'xhtml') {
        checked.xhtml++;
        expect(item.content_text).toBeUndefined();
        expect(tagNames(item.content_html ?? '')).toEqual(tagNames(c.value));
      }
    });
  });

  it('compared entries of each content type and titles', () => {
    expect(checked.text).toBeGreaterThan(0);
    expect(checked.html).toBeGreaterThan(0);
    expect(checked.xhtml).toBeGreaterThan(0);
    expect(checked.titles).toBeGreaterThan(0);
  });
});
