import { sha256Hex } from './hash.js';

/** What an update changed, as the console and the delivery log name it. */
export type ChangeField = 'title' | 'content' | 'link' | 'dates' | 'other';

/** The order fields are hashed and listed in. */
export const CHANGE_FIELDS: readonly ChangeField[] = ['title', 'content', 'link', 'dates', 'other'];

/** Volatile noise a hub may be told to ignore when comparing entries (HUB_UPDATE_IGNORE). */
export type UpdateIgnore = 'dates' | 'tracking';

export const UPDATE_IGNORE_VALUES: readonly UpdateIgnore[] = ['dates', 'tracking'];

/** An entry's canonical form, one string per field. */
export type MeaningParts = Record<ChangeField, string>;

/** How two versions of one entry compare by meaning. */
export type MeaningComparison =
  | { kind: 'same' }
  | { kind: 'changed'; fields: ChangeField[] }
  /** The stored form predates this kind of fingerprint: nothing to compare with, the new one is stored. */
  | { kind: 'migrated' };

/** Fingerprint format; a stored one of another version (or tracking choice) is migrated, never compared. */
const VERSION = 'm1';

const FIELD_OF_NAME: Readonly<Record<string, ChangeField>> = {
  title: 'title',
  description: 'content',
  content: 'content',
  summary: 'content',
  encoded: 'content',
  content_html: 'content',
  content_text: 'content',
  link: 'link',
  origLink: 'link',
  url: 'link',
  external_url: 'link',
  pubDate: 'dates',
  published: 'dates',
  updated: 'dates',
  issued: 'dates',
  modified: 'dates',
  created: 'dates',
  date: 'dates',
  date_published: 'dates',
  date_modified: 'dates',
};

/** The same table as a Map: asked once per element of every entry, and a Map lookup is the cheaper one. */
const FIELD_BY_NAME: ReadonlyMap<string, ChangeField> = new Map(Object.entries(FIELD_OF_NAME));

/**
 * The field an entry's child element (by local name, whatever its namespace:
 * `dc:date` and `dcterms:modified` are dates) or a JSON Feed item's key belongs to.
 */
export function fieldOfName(name: string): ChangeField {
  return FIELD_BY_NAME.get(name) ?? 'other';
}

/** One short hash per field, so a later comparison can say which fields changed. */
export function fingerprint(parts: MeaningParts, tracking: boolean): string {
  const hashes = CHANGE_FIELDS.map((f) => (parts[f] === '' ? EMPTY_HASH : sha256Hex(parts[f]).slice(0, 16)));
  return `${VERSION}${tracking ? 't' : ''}:${hashes.join('.')}`;
}

/** Most entries leave a field or two empty: their hash is known. */
const EMPTY_HASH = sha256Hex('').slice(0, 16);

/**
 * Compares a stored fingerprint with the current one. Fields listed in `ignore`
 * (only `dates` is a field) do not make an update on their own; when something
 * else changed too, they are still named.
 */
export function compareMeanings(stored: string | null, current: string, ignore: readonly UpdateIgnore[]): MeaningComparison {
  if (stored === current) return { kind: 'same' };
  const colon = current.indexOf(':');
  if (stored === null || stored.slice(0, colon + 1) !== current.slice(0, colon + 1)) return { kind: 'migrated' };
  const before = stored.slice(colon + 1).split('.');
  const after = current.slice(colon + 1).split('.');
  if (before.length !== after.length) return { kind: 'migrated' };
  const fields = CHANGE_FIELDS.filter((_, i) => before[i] !== after[i]);
  const ignored = new Set<string>(ignore);
  return fields.some((f) => !ignored.has(f)) ? { kind: 'changed', fields } : { kind: 'same' };
}

/** Query parameters that say where a reader came from, not what the link points to. */
const TRACKING_PARAMS = new Set([
  'fbclid',
  'gclid',
  'dclid',
  'msclkid',
  'yclid',
  'igshid',
  'mc_cid',
  'mc_eid',
  '_hsenc',
  '_hsmi',
  'mkt_tok',
]);

function isTrackingParam(pair: string): boolean {
  const eq = pair.indexOf('=');
  const name = (eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
  return name.startsWith('utm_') || TRACKING_PARAMS.has(name);
}

/** A link without its tracking query parameters (`utm_*`, `fbclid`, `gclid` and the like); other parameters keep their order. */
export function stripTracking(link: string): string {
  const q = link.indexOf('?');
  if (q === -1) return link;
  const hash = link.indexOf('#', q);
  const query = hash === -1 ? link.slice(q + 1) : link.slice(q + 1, hash);
  const kept = query.split('&').filter((p) => p !== '' && !isTrackingParam(p));
  const fragment = hash === -1 ? '' : link.slice(hash);
  return `${link.slice(0, q)}${kept.length ? `?${kept.join('&')}` : ''}${fragment}`;
}
