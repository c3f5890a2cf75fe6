import { scanMarkupSteps, type Attribute, type StartTag } from './markup.js';
import { checkReferences } from './html-entities.js';
import { NS, NamespaceScope } from './namespaces.js';
import type { Steps } from './steps.js';
import type { FeedFormat } from './types.js';
import type { WorkCount } from './work.js';
import type { ElementSpan, EntrySpan, XmlStructure } from './structure.js';

/**
 * The feed structure of an XML document: where the root, the container
 * (channel, feed) and each entry start and end, so entries can be read and
 * later spliced out byte for byte. Built in one pass over htmlparser2's
 * tokens (markup.ts), with no tree: depth and size cost linear time. Broken
 * markup is recovered from the way a careful reader would, and every recovery
 * is listed in `problems`: an end tag closes the nearest open element of that
 * name, and an entry that starts while another is open ends the open one.
 */

export type { ElementSpan, EntrySpan, ListItemSpan, XmlStructure } from './structure.js';

/**
 * Deepest element nesting accepted (fast-xml-parser's default cap is 100;
 * real feeds with xhtml content stay far below this). Beyond it the document
 * is given up on: deep nesting is an attack shape.
 */
export const MAX_DEPTH = 512;

/** Problems listed one by one; more are counted. */
const MAX_PROBLEMS = 20;

/** How far down the stack an unmatched end tag may look for its element. */
const END_TAG_SEARCH = 32;

const enum Role {
  None,
  Entry,
  EntryChild,
  Container,
  HeadChild,
  Items,
}

interface Frame {
  qname: string;
  local: string;
  ns: string;
  start: number;
  openEnd: number;
  attributes: readonly Attribute[];
  declared: string[] | undefined;
  role: Role;
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

function localOf(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1);
}

/** An element whose end is not known yet: it runs to the end of the text until its end tag says otherwise. */
function openSpan(tag: StartTag, local: string, ns: string, textEnd: number): ElementSpan {
  const { qname, start, openEnd, attributes } = tag;
  return { qname, local, ns, start, openEnd, closeStart: textEnd, end: textEnd, attributes };
}

/** Reads the feed structure of `text`, yielding between chunks; `work` counts what it reads (tests). Never throws. */
export function* scanXml(text: string, work?: WorkCount): Steps<XmlStructure> {
  const out: XmlStructure = {
    format: undefined,
    root: undefined,
    container: undefined,
    headChildren: [],
    entries: [],
    listItems: [],
    problems: [],
  };
  const scope = new NamespaceScope();
  const stack: Frame[] = [];
  let problemCount = 0;
  let format: FeedFormat | undefined;
  let feedNs = '';
  let entry: EntrySpan | undefined;
  let entryDepth = -1;
  let done = false;
  let doctype = false;

  const problem = (message: string): void => {
    problemCount++;
    if (problemCount <= MAX_PROBLEMS) out.problems.push(message);
  };

  const close = (frame: Frame, closeStart: number, end: number): void => {
    scope.leave(frame.declared);
    if (stack.length === 0 && out.root) Object.assign(out.root, { closeStart, end });
    if (frame.role === Role.None) return;
    const span: ElementSpan = {
      qname: frame.qname,
      local: frame.local,
      ns: frame.ns,
      start: frame.start,
      openEnd: frame.openEnd,
      closeStart,
      end,
      attributes: frame.attributes,
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

  /** Closes the open elements above depth `keep`, which lacked end tags, at `at`. */
  const closeAbove = (keep: number, at: number, why: string): void => {
    while (stack.length > keep) {
      const frame = stack.pop() as Frame;
      problem(`<${frame.qname}> at offset ${frame.start} has no end tag (${why})`);
      close(frame, at, at);
    }
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

  /** An RSS 1.0 `li` outside the entries, kept so an undelivered item's line can be cut too. */
  const noteListItem = (element: Frame, end: number): void => {
    if (format !== 'rdf' || entry || element.local !== 'li') return;
    const resource = element.attributes.find((a) => localOf(a.name) === 'resource');
    if (resource) out.listItems.push({ start: element.start, end, resource: resource.value });
  };

  const checkTag = (tag: StartTag, ns: string): void => {
    if (ns.startsWith('undeclared:')) problem(`undeclared namespace prefix in <${tag.qname}> at offset ${tag.start}`);
    for (const a of tag.attributes) {
      const colon = a.name.indexOf(':');
      if (colon > 0 && !a.name.startsWith('xmlns:') && scope.resolve(a.name).ns.startsWith('undeclared:')) {
        problem(`undeclared namespace prefix in attribute ${a.name} of <${tag.qname}> at offset ${tag.start}`);
      }
      if (a.value.indexOf('&') === -1) continue;
      if (work) work.chars += a.value.length;
      const where = `in attribute ${a.name} of <${tag.qname}> at offset ${tag.start}`;
      checkReferences(a.value, 0, a.value.length, doctype, (what) => problem(`${what} ${where}`));
    }
  };

  const startTag = (tag: StartTag): boolean => {
    if (done) return true;
    if (stack.length === 0 && out.root) {
      problem(`content after the root element ignored from offset ${tag.start}`);
      return (done = true);
    }
    if (stack.length >= MAX_DEPTH) {
      out.fatal = `elements nested deeper than ${MAX_DEPTH} levels`;
      return (done = true);
    }
    let declared = scope.enter(tag.attributes);
    let { local, ns } = scope.resolve(tag.qname);
    checkTag(tag, ns);
    // An entry that opens inside an open entry of the same kind: the open one lacked its end tag.
    if (entry && entryDepth > 0 && !tag.selfClosing && local === entry.local && ns === entry.ns) {
      scope.leave(declared);
      closeAbove(entryDepth, tag.start, `another <${tag.qname}> starts at offset ${tag.start}`);
      declared = scope.enter(tag.attributes);
      ({ local, ns } = scope.resolve(tag.qname));
    }
    let role = Role.None;
    if (stack.length === 0) {
      out.root = openSpan(tag, local, ns, text.length);
      format = formatOfRoot(local, ns);
      out.format = format;
      if (!format) return (done = true);
      feedNs = ns;
      if (format === 'atom' || (format === 'rdf' && local === 'Channel')) out.container = out.root;
      if (format === 'atom-entry') {
        role = Role.Entry;
        entry = { ...out.root, children: [] };
        entryDepth = 0;
      }
    } else {
      role = roleOf(local, ns, stack.length);
      if (role === Role.Entry) {
        entry = { ...openSpan(tag, local, ns, text.length), children: [] };
        entryDepth = stack.length;
      }
    }
    const { qname, start, openEnd, attributes } = tag;
    const frame: Frame = { qname, local, ns, start, openEnd, attributes, declared, role };
    if (tag.selfClosing) {
      noteListItem(frame, tag.openEnd);
      close(frame, tag.openEnd, tag.openEnd);
      if (stack.length === 0) done = true;
      return done;
    }
    stack.push(frame);
    return false;
  };

  const endTag = (qname: string, start: number, end: number): void => {
    if (done) return;
    let match = -1;
    for (let d = stack.length - 1; d >= 0 && d >= stack.length - END_TAG_SEARCH; d--) {
      if (stack[d].qname === qname) {
        match = d;
        break;
      }
    }
    if (work) work.chars += match === -1 ? Math.min(stack.length, END_TAG_SEARCH) : stack.length - match;
    if (match === -1) {
      problem(`end tag </${qname.slice(0, 40)}> at offset ${start} matches no open element`);
      return;
    }
    closeAbove(match + 1, start, `</${qname}> at offset ${start} closes it`);
    const frame = stack.pop() as Frame;
    noteListItem(frame, end);
    close(frame, start, end);
    if (stack.length === 0) done = true;
  };

  const textRun = (start: number, end: number): void => {
    if (done) return;
    if (work) work.chars += end - start;
    checkReferences(text, start, end, doctype, (what, at) => problem(`${what} at offset ${at}`));
  };
  const declaration = (start: number): void => {
    if (!out.root && text.startsWith('DOCTYPE', start)) doctype = true;
  };
  yield* scanMarkupSteps(text, { startTag, endTag, text: textRun, declaration, problem }, { work });
  if (stack.length && !out.fatal) {
    problem(`document ends with ${stack.length} element(s) open, innermost <${stack[stack.length - 1].qname}>`);
  }
  // Elements left open at the end (truncated or malformed documents) end at the end of the text.
  while (stack.length) close(stack.pop() as Frame, text.length, text.length);
  if (problemCount > MAX_PROBLEMS) out.problems.push(`... and ${problemCount - MAX_PROBLEMS} more`);
  return out;
}
