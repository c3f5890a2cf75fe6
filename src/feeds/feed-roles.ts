import { NS } from './namespaces.js';
import type { FeedFormat } from './types.js';
import { Role, type XmlScan } from './xml-scan.js';

/**
 * Which part of the feed an element is, by format: the root names the format,
 * and each child is the container (channel), a head child, an entry, an
 * entry's child, or nothing to keep.
 */

/** The feed format a root element announces, if any. */
export function formatOfRoot(local: string, ns: string): FeedFormat | undefined {
  if (local === 'rss') return 'rss';
  if (local === 'RDF' && ns === NS.rdf) return 'rdf';
  if (local === 'Channel' && ns === NS.rss11) return 'rdf';
  // Atom 1.0 and 0.3, and (leniently, as feedparser does) a `feed` root in no or another namespace.
  if (local === 'feed') return 'atom';
  if (local === 'entry' && (ns === NS.atom10 || ns === NS.atom03)) return 'atom-entry';
  return undefined;
}

const RSS1_NAMESPACES = new Set<string>([NS.rss10, NS.rss090, '']);

/** The part a child element at `depth` plays in the feed (entry, head child, ...); may learn the RSS 1.0 namespace. */
export function roleOf(s: XmlScan, local: string, ns: string, depth: number): Role {
  const { out, format, feedNs } = s;
  if (s.entry) return depth === s.entryDepth + 1 ? Role.EntryChild : Role.None;
  const parent = s.stack[depth - 1];
  if (format === 'atom') {
    if (depth !== 1) return Role.None;
    return local === 'entry' && ns === feedNs ? Role.Entry : Role.HeadChild;
  }
  if (format === 'rss') {
    const inContainer = parent.role === Role.Container;
    if ((depth === 1 || inContainer) && local === 'item' && ns === feedNs) return Role.Entry;
    if (depth === 1 && local === 'channel' && ns === feedNs && !out.container) return Role.Container;
    return inContainer ? Role.HeadChild : Role.None;
  }
  if (format === 'rdf' && out.root?.local === 'Channel') {
    if (depth === 1) return local === 'items' && ns === NS.rss11 ? Role.Items : Role.HeadChild;
    return parent.role === Role.Items && local === 'item' && ns === NS.rss11 ? Role.Entry : Role.None;
  }
  if (format === 'rdf') {
    if (depth === 1 && local === 'channel' && RSS1_NAMESPACES.has(ns) && !out.container) {
      s.feedNs = ns;
      return Role.Container;
    }
    if (depth === 1 && local === 'item' && (ns === feedNs || (!out.container && RSS1_NAMESPACES.has(ns)))) return Role.Entry;
    return parent.role === Role.Container ? Role.HeadChild : Role.None;
  }
  return Role.None;
}
