import { EMPTY_NS, NS, resolve, withDeclarations } from './namespaces.js';
import type { FeedFormat } from './types.js';

/**
 * A small XML structure scanner. It walks the text once, tag by tag (aware of
 * comments, CDATA, processing instructions, the DOCTYPE internal subset and
 * quoted attribute values), resolves namespace prefixes, and records where the
 * feed's entries start and end, so entries can be read and later spliced out
 * byte-for-byte. It never recurses and never builds a tree, so depth and size
 * only cost linear time; it recovers from mismatched and missing end tags the
 * way HTML parsers do (an end tag closes the nearest open element of that name).
 */

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
  /** Raw attribute text of the start tag. */
  attrs: string;
}

export interface EntrySpan extends ElementSpan {
  /** Direct child elements, in order. */
  children: ElementSpan[];
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
  /** Namespace bindings in scope at the root element. */
  rootNamespaces: ReadonlyMap<string, string>;
  /** Why scanning stopped early, if it did (the document is then truncated or broken). */
  problem?: string;
  /** True when scanning gave up on the document as a whole (see MAX_DEPTH). */
  fatal?: boolean;
}

/**
 * Deepest element nesting accepted (fast-xml-parser's default cap is 100;
 * real feeds with xhtml content stay far below this). Beyond it the document
 * is given up on: deep nesting is an attack shape, and namespace scopes grow
 * with depth.
 */
export const MAX_DEPTH = 512;

const enum Role { None, Entry, EntryChild, Container, HeadChild, Items }

interface Frame {
  qname: string;
  local: string;
  ns: string;
  start: number;
  openEnd: number;
  attrs: string;
  nsMap: ReadonlyMap<string, string>;
  role: Role;
}

/** How far down the stack an unmatched end tag may look for its element. */
const END_TAG_SEARCH = 32;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c > 127;
}

function isNameEnd(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 62 || c === 47;
}

/** The feed format a root element announces, if any. */
function formatOfRoot(local: string, ns: string): FeedFormat | undefined {
  if (local === 'rss') return 'rss';
  if (local === 'RDF' && ns === NS.rdf) return 'rdf';
  if (local === 'Channel' && ns === NS.rss11) return 'rdf';
  // Atom 1.0 and 0.3, and (leniently, as feedparser does) a `feed` root in no or another namespace.
  if (local === 'feed') return 'atom';
  if (local === 'entry' && (ns === NS.atom10 || ns === NS.atom03)) return 'atom-entry';
  return undefined;
}

const RSS1_NAMESPACES = new Set<string>([NS.rss10, NS.rss090, '']);

/**
 * Offset just after the `>` closing a tag whose attributes start at `from`,
 * skipping `>` inside quoted values; -1 if none. Only the tag's own text is
 * examined (never searching ahead for a quote that may be megabytes away).
 */
function tagEnd(text: string, from: number): number {
  let k = from;
  for (;;) {
    const gt = text.indexOf('>', k);
    if (gt === -1) return -1;
    let quote = -1;
    for (let p = k; p < gt; p++) {
      const c = text.charCodeAt(p);
      if (c === 34 || c === 39) {
        quote = p;
        break;
      }
    }
    if (quote === -1) return gt + 1;
    const closing = text.indexOf(text[quote], quote + 1);
    if (closing === -1) return -1;
    k = closing + 1;
  }
}

/** Offset just after a `<!DOCTYPE ...>` starting at `from` (internal subset included); -1 if unterminated. */
function doctypeEnd(text: string, from: number): number {
  const gt = text.indexOf('>', from);
  const bracket = text.indexOf('[', from);
  if (bracket === -1 || (gt !== -1 && gt < bracket)) return gt === -1 ? -1 : gt + 1;
  const close = /\]\s*>/g;
  close.lastIndex = bracket;
  const m = close.exec(text);
  return m ? m.index + m[0].length : -1;
}

/** Scans `text` and returns the feed structure found in it. Never throws. */
export function scanXml(text: string): XmlStructure {
  const out: XmlStructure = {
    format: undefined, root: undefined, container: undefined, headChildren: [], entries: [], rootNamespaces: EMPTY_NS,
  };
  const stack: Frame[] = [];
  const n = text.length;
  let format: FeedFormat | undefined;
  let feedNs = '';
  let entry: EntrySpan | undefined;
  let entryDepth = -1;
  let i = 0;

  const close = (frame: Frame, closeStart: number, end: number): void => {
    if (stack.length === 0 && out.root) Object.assign(out.root, { closeStart, end });
    if (frame.role === Role.None) return;
    const span: ElementSpan = {
      qname: frame.qname, local: frame.local, ns: frame.ns, start: frame.start,
      openEnd: frame.openEnd, closeStart, end, attrs: frame.attrs,
    };
    if (frame.role === Role.Entry && entry) {
      Object.assign(entry, { closeStart, end });
      out.entries.push(entry);
      entry = undefined;
      entryDepth = -1;
    } else if (frame.role === Role.EntryChild && entry) entry.children.push(span);
    else if (frame.role === Role.HeadChild) out.headChildren.push(span);
    else if (frame.role === Role.Container) out.container = span;
  };

  const roleOf = (local: string, ns: string, depth: number): Role => {
    if (entry) return depth === entryDepth + 1 ? Role.EntryChild : Role.None;
    const parent = stack[depth - 1];
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
        feedNs = ns;
        return Role.Container;
      }
      if (depth === 1 && local === 'item' && (ns === feedNs || (!out.container && RSS1_NAMESPACES.has(ns)))) return Role.Entry;
      return parent.role === Role.Container ? Role.HeadChild : Role.None;
    }
    return Role.None;
  };

  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt === -1) break;
    const c1 = text.charCodeAt(lt + 1);
    if (c1 === 33) {
      // <!-- -->, <![CDATA[ ]]>, <!DOCTYPE >
      let end: number;
      if (text.startsWith('!--', lt + 1)) end = text.indexOf('-->', lt + 4) + 3;
      else if (text.startsWith('![CDATA[', lt + 1)) end = text.indexOf(']]>', lt + 9) + 3;
      else end = doctypeEnd(text, lt + 2);
      if (end < 3) {
        out.problem = 'unterminated comment, CDATA section or DOCTYPE';
        break;
      }
      i = end;
    } else if (c1 === 63) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) {
        out.problem = 'unterminated processing instruction';
        break;
      }
      i = end + 2;
    } else if (c1 === 47) {
      const gt = text.indexOf('>', lt + 2);
      if (gt === -1) {
        out.problem = 'unterminated end tag';
        break;
      }
      const name = text.slice(lt + 2, gt).trim();
      i = gt + 1;
      let match = -1;
      for (let d = stack.length - 1; d >= 0 && d >= stack.length - END_TAG_SEARCH; d--) {
        if (stack[d].qname === name) {
          match = d;
          break;
        }
      }
      if (match === -1) continue;
      while (stack.length > match + 1) close(stack.pop() as Frame, lt, lt);
      close(stack.pop() as Frame, lt, gt + 1);
      if (stack.length === 0) break;
    } else if (isNameStart(c1)) {
      let j = lt + 2;
      while (j < n && !isNameEnd(text.charCodeAt(j))) j++;
      const qname = text.slice(lt + 1, j);
      const end = tagEnd(text, j);
      if (end === -1) {
        out.problem = `unterminated start tag <${qname}`;
        break;
      }
      i = end;
      const selfClosing = text.charCodeAt(end - 2) === 47;
      const attrs = text.slice(j, selfClosing ? end - 2 : end - 1);
      const parentNs = stack.length ? stack[stack.length - 1].nsMap : EMPTY_NS;
      const nsMap = attrs.includes('xmlns') ? withDeclarations(parentNs, attrs) : parentNs;
      const { local, ns } = resolve(qname, nsMap);
      const depth = stack.length;
      let role: Role;
      if (depth === 0) {
        if (out.root) break;
        out.root = { qname, local, ns, start: lt, openEnd: end, closeStart: n, end: n, attrs };
        out.rootNamespaces = nsMap;
        format = formatOfRoot(local, ns);
        out.format = format;
        if (!format) break;
        feedNs = ns;
        role = Role.None;
        if (format === 'atom' || (format === 'rdf' && local === 'Channel')) out.container = out.root;
        if (format === 'atom-entry') {
          role = Role.Entry;
          entry = { ...out.root, children: [] };
          entryDepth = 0;
        }
      } else {
        role = roleOf(local, ns, depth);
        if (role === Role.Entry) {
          entry = { qname, local, ns, start: lt, openEnd: end, closeStart: n, end: n, attrs, children: [] };
          entryDepth = depth;
        }
      }
      const frame: Frame = { qname, local, ns, start: lt, openEnd: end, attrs, nsMap, role };
      if (depth >= MAX_DEPTH) {
        out.problem = `elements nested deeper than ${MAX_DEPTH} levels`;
        out.fatal = true;
        break;
      }
      if (selfClosing) {
        close(frame, end, end);
        if (depth === 0) break;
      } else stack.push(frame);
    } else {
      i = lt + 1;
    }
  }
  // Elements left open at the end (truncated or malformed documents) end at the end of the text.
  while (stack.length) close(stack.pop() as Frame, n, n);
  return out;
}
