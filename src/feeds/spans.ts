import { formatOfRoot, roleOf } from './feed-roles.js';
import { scanMarkupSteps, type MarkupHandler, type StartTag } from './markup.js';
import { checkReferences } from './html-entities.js';
import type { Steps } from './steps.js';
import type { WorkCount } from './work.js';
import type { ElementSpan, XmlStructure } from './structure.js';
import { MAX_PROBLEMS, Role, newScan, problem, type Frame, type XmlScan } from './xml-scan.js';

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

/** How far down the stack an unmatched end tag may look for its element. */
const END_TAG_SEARCH = 32;

function localOf(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1);
}

/** An element whose end is not known yet: it runs to the end of the text until its end tag says otherwise. */
function openSpan(tag: StartTag, local: string, ns: string, textEnd: number): ElementSpan {
  const { qname, start, openEnd, attributes } = tag;
  return { qname, local, ns, start, openEnd, closeStart: textEnd, end: textEnd, attributes };
}

function close(s: XmlScan, frame: Frame, closeStart: number, end: number): void {
  const { out } = s;
  s.scope.leave(frame.declared);
  if (s.stack.length === 0 && out.root) Object.assign(out.root, { closeStart, end });
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
  if (frame.role === Role.Entry && s.entry) {
    Object.assign(s.entry, { closeStart, end });
    out.entries.push(s.entry);
    s.entry = undefined;
    s.entryDepth = -1;
  } else if (frame.role === Role.EntryChild && s.entry) s.entry.children.push(span);
  else if (frame.role === Role.HeadChild) out.headChildren.push(span);
  else if (frame.role === Role.Container) out.container = span;
}

/** Closes the open elements above depth `keep`, which lacked end tags, at `at`. */
function closeAbove(s: XmlScan, keep: number, at: number, why: string): void {
  while (s.stack.length > keep) {
    const frame = s.stack.pop() as Frame;
    problem(s, `<${frame.qname}> at offset ${frame.start} has no end tag (${why})`);
    close(s, frame, at, at);
  }
}

/** An RSS 1.0 `li` outside the entries, kept so an undelivered item's line can be cut too. */
function noteListItem(s: XmlScan, element: Frame, end: number): void {
  if (s.format !== 'rdf' || s.entry || element.local !== 'li') return;
  const resource = element.attributes.find((a) => localOf(a.name) === 'resource');
  if (resource) s.out.listItems.push({ start: element.start, end, resource: resource.value });
}

/** Reports undeclared prefixes in a start tag, and bad references in its attribute values. */
function checkTag(s: XmlScan, tag: StartTag, ns: string): void {
  if (ns.startsWith('undeclared:')) problem(s, `undeclared namespace prefix in <${tag.qname}> at offset ${tag.start}`);
  for (const a of tag.attributes) {
    const colon = a.name.indexOf(':');
    if (colon > 0 && !a.name.startsWith('xmlns:') && s.scope.resolve(a.name).ns.startsWith('undeclared:')) {
      problem(s, `undeclared namespace prefix in attribute ${a.name} of <${tag.qname}> at offset ${tag.start}`);
    }
    if (a.value.indexOf('&') === -1) continue;
    if (s.work) s.work.chars += a.value.length;
    s.where = `in attribute ${a.name} of <${tag.qname}> at offset ${tag.start}`;
    checkReferences(a.value, 0, a.value.length, s.doctype, s.reportInAttribute);
  }
}

/** The root element: it names the format (none: not a feed, undefined returned) and may be the container or entry. */
function openRoot(s: XmlScan, tag: StartTag, local: string, ns: string): Role | undefined {
  const { out } = s;
  out.root = openSpan(tag, local, ns, s.text.length);
  s.format = formatOfRoot(local, ns);
  out.format = s.format;
  if (!s.format) return undefined;
  s.feedNs = ns;
  if (s.format === 'atom' || (s.format === 'rdf' && local === 'Channel')) out.container = out.root;
  if (s.format !== 'atom-entry') return Role.None;
  s.entry = { ...out.root, children: [] };
  s.entryDepth = 0;
  return Role.Entry;
}

/** A start tag; true stops the scan (content after the root, nesting too deep, not a feed, root closed). */
function startTag(s: XmlScan, tag: StartTag): boolean {
  const { out, scope, stack } = s;
  if (s.done) return true;
  if (stack.length === 0 && out.root) {
    problem(s, `content after the root element ignored from offset ${tag.start}`);
    return (s.done = true);
  }
  if (stack.length >= MAX_DEPTH) {
    out.fatal = `elements nested deeper than ${MAX_DEPTH} levels`;
    return (s.done = true);
  }
  let declared = scope.enter(tag.attributes);
  let { local, ns } = scope.resolve(tag.qname);
  checkTag(s, tag, ns);
  // An entry that opens inside an open entry of the same kind: the open one lacked its end tag.
  const entry = s.entry;
  if (entry && s.entryDepth > 0 && !tag.selfClosing && local === entry.local && ns === entry.ns) {
    scope.leave(declared);
    closeAbove(s, s.entryDepth, tag.start, `another <${tag.qname}> starts at offset ${tag.start}`);
    declared = scope.enter(tag.attributes);
    ({ local, ns } = scope.resolve(tag.qname));
  }
  let role: Role | undefined;
  if (stack.length === 0) {
    role = openRoot(s, tag, local, ns);
    if (role === undefined) return (s.done = true);
  } else {
    role = roleOf(s, local, ns, stack.length);
    if (role === Role.Entry) {
      s.entry = { ...openSpan(tag, local, ns, s.text.length), children: [] };
      s.entryDepth = stack.length;
    }
  }
  const { qname, start, openEnd, attributes } = tag;
  const frame: Frame = { qname, local, ns, start, openEnd, attributes, declared, role };
  if (tag.selfClosing) {
    noteListItem(s, frame, tag.openEnd);
    close(s, frame, tag.openEnd, tag.openEnd);
    if (stack.length === 0) s.done = true;
    return s.done;
  }
  stack.push(frame);
  return false;
}

/** An end tag closes the nearest open element of its name, and any left open above it. */
function endTag(s: XmlScan, qname: string, start: number, end: number): void {
  const { stack, work } = s;
  if (s.done) return;
  let match = -1;
  for (let d = stack.length - 1; d >= 0 && d >= stack.length - END_TAG_SEARCH; d--) {
    if (stack[d].qname === qname) {
      match = d;
      break;
    }
  }
  if (work) work.chars += match === -1 ? Math.min(stack.length, END_TAG_SEARCH) : stack.length - match;
  if (match === -1) {
    problem(s, `end tag </${qname.slice(0, 40)}> at offset ${start} matches no open element`);
    return;
  }
  closeAbove(s, match + 1, start, `</${qname}> at offset ${start} closes it`);
  const frame = stack.pop() as Frame;
  noteListItem(s, frame, end);
  close(s, frame, start, end);
  if (stack.length === 0) s.done = true;
}

function textRun(s: XmlScan, start: number, end: number): void {
  if (s.done) return;
  if (s.work) s.work.chars += end - start;
  checkReferences(s.text, start, end, s.doctype, s.reportInText);
}

function declaration(s: XmlScan, start: number): void {
  if (!s.out.root && s.text.startsWith('DOCTYPE', start)) s.doctype = true;
}

/** The end of the text: elements left open (truncated or malformed documents) end there. */
function finish(s: XmlScan): XmlStructure {
  const { out, stack, text } = s;
  if (stack.length && !out.fatal) {
    problem(s, `document ends with ${stack.length} element(s) open, innermost <${stack[stack.length - 1].qname}>`);
  }
  while (stack.length) close(s, stack.pop() as Frame, text.length, text.length);
  if (s.problemCount > MAX_PROBLEMS) out.problems.push(`... and ${s.problemCount - MAX_PROBLEMS} more`);
  return out;
}

/** Reads the feed structure of `text`, yielding between chunks; `work` counts what it reads (tests). Never throws. */
export function* scanXml(text: string, work?: WorkCount): Steps<XmlStructure> {
  const s = newScan(text, work);
  const handler: MarkupHandler = {
    startTag: (tag) => startTag(s, tag),
    endTag: (qname, start, end) => endTag(s, qname, start, end),
    text: (start, end) => textRun(s, start, end),
    declaration: (start) => declaration(s, start),
    problem: (message) => problem(s, message),
  };
  yield* scanMarkupSteps(text, handler, { work });
  return finish(s);
}
