import { jsonItemParts } from './canonical-json.js';
import { xmlEntryParts } from './canonical-xml.js';
import type { MeaningSource } from './diff.js';
import type { Attribute } from './markup.js';
import { fingerprint, type UpdateIgnore } from './meaning.js';
import type { Analysis } from './parse.js';

/** Fingerprints of the entries of an analysed feed, computed one entry at a time when the diff asks. */
export function meaningSource(analysis: Exclude<Analysis, { kind: 'other' }>, ignore: readonly UpdateIgnore[]): MeaningSource {
  const tracking = ignore.includes('tracking');
  if (analysis.kind === 'json') {
    const { items } = analysis.json;
    return { ignore, of: (i) => fingerprint(jsonItemParts(items[i], tracking), tracking) };
  }
  const { text } = analysis.decoded;
  const { root, container, entries } = analysis.structure;
  // Entries sit in the root and, for RSS, the channel: the namespaces those declare are in scope.
  const seeds: Array<readonly Attribute[]> = [];
  if (root) seeds.push(root.attributes);
  if (container && container !== root) seeds.push(container.attributes);
  return { ignore, of: (i) => fingerprint(xmlEntryParts(text, entries[i], seeds, tracking), tracking) };
}
