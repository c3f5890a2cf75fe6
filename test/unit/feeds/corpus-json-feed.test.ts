import { describe, expect, it } from '@jest/globals';
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
