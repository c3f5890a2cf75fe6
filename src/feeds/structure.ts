import type { Attribute } from './markup.js';
import type { FeedFormat } from './types.js';

/** The feed structure spans.ts reads from an XML document: offsets into the decoded text, no tree. */

/** One element: its name, namespace and offsets into the decoded text. */
export interface ElementSpan {
  qname: string;
  local: string;
  ns: string;
  /** Offset of `<`. */
  start: number;
  /** Offset just after the start tag's `>`. */
  openEnd: number;
  /** Offset of the end tag's `<` (equals `openEnd` for `<x/>`). */
  closeStart: number;
  /** Offset just after the element. */
  end: number;
  attributes: readonly Attribute[];
}

export interface EntrySpan extends ElementSpan {
  /** Direct child elements, in order. */
  children: ElementSpan[];
}

/** An RSS 1.0 table-of-contents line (`<rdf:li resource="..."/>`) inside the channel. */
export interface ListItemSpan {
  start: number;
  end: number;
  resource: string;
}

export interface XmlStructure {
  /** Undefined when the root element is not a feed root (HTML, unknown XML). */
  format: FeedFormat | undefined;
  root: ElementSpan | undefined;
  /** The element whose children are feed-level metadata (channel, feed). */
  container: ElementSpan | undefined;
  /** Direct children of the container other than entries (title, link ...). */
  headChildren: ElementSpan[];
  entries: EntrySpan[];
  listItems: ListItemSpan[];
  /** Every recovery made while reading (at most MAX_PROBLEMS, then a count). */
  problems: string[];
  /** Set when the document was given up on as a whole (nesting too deep). */
  fatal?: string;
}
