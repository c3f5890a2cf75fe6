import fs from 'node:fs';
import path from 'node:path';

/**
 * Real feeds written by others, kept outside the repository (their authors'
 * licences): CRIER_CORPUS_DIR, or ../shared/corpus/feeds beside the checkout.
 * Without it jest.config.js leaves the corpus suites out and says so in one
 * line; the repository's own fixtures still test the engine.
 */
export const CORPUS_DIR = path.resolve(process.env.CRIER_CORPUS_DIR ?? path.join(process.cwd(), '../shared/corpus/feeds'));

export interface CorpusFile {
  file: string;
  format: string;
  expectation: string;
  entryCount: number | undefined;
  formatVersion: string;
  notes: string;
  /** From a `test-http-header:Content-type: ...` note: the header the upstream test served. */
  contentType: string | undefined;
}

/** Rows of MANIFEST.tsv (none when the corpus is absent). */
export function readManifest(): CorpusFile[] {
  const lines = fs
    .readFileSync(path.join(CORPUS_DIR, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(1).map((line) => {
    const [file, , , , format, expectation, count, formatVersion, notes = ''] = line.split('\t');
    const header = /test-http-header:Content-type:\s*([^;]+(?:;\s*charset=[^;\s]+)?)/i.exec(notes);
    return {
      file,
      format,
      expectation,
      formatVersion,
      notes,
      entryCount: count === '' ? undefined : Number(count),
      contentType: header ? header[1].trim() : undefined,
    };
  });
}

export function readCorpusFile(file: string): Buffer {
  return fs.readFileSync(path.join(CORPUS_DIR, file));
}

/** Manifest `format` column to the engine's FeedFormat (Atom entry documents are counted as atom there). */
export const MANIFEST_FORMAT: Record<string, string[]> = {
  rss2: ['rss'],
  rss1: ['rdf'],
  atom1: ['atom', 'atom-entry'],
  atom03: ['atom', 'atom-entry'],
  json: ['json-feed'],
};
