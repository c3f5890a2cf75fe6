import { decodeEscaped, escapeAttribute, escapeText, unescapeText } from './canonical-text.js';
import { decodeEntities } from './html-entities.js';
import { scanMarkup, type Attribute, type MarkupHandler, type StartTag } from './markup.js';
import { fieldOfName, stripTracking, type ChangeField, type MeaningParts } from './meaning.js';
import { NamespaceScope } from './namespaces.js';
import type { EntrySpan } from './spans.js';

/**
 * The canonical form of one XML entry: its token stream with names by
 * namespace URI (`{uri}local`, never the prefix), attributes sorted by that
 * name with their references decoded and one quoting, character references
 * and CDATA decoded into one text, comments and processing instructions
 * left out, and whitespace-only text dropped inside elements whose content
 * is elements only (an item's children, an xhtml `div` of paragraphs). Text
 * content and mixed content keep every character, and so does `<pre>`.
 * Tokens go to the field (meaning.ts) of the entry child they sit in.
 */

/** A whitespace-only run: where it sits in `parts[field]`, and whether a block (or the parent's edge) is on each side. */
interface Space {
  index: number;
  blockBefore: boolean;
  blockAfter: boolean;
}

interface Frame {
  qname: string;
  field: ChangeField;
  declared: string[] | undefined;
  /** Holds text other than whitespace (or is a `pre`): its whitespace is content. */
  mixed: boolean;
  hadChild: boolean;
  /** An XHTML element: whitespace beside an inline element is a space on the page. */
  xhtml: boolean;
  /** Whether its last child was a block (true before any: the parent's edge). */
  lastBlock: boolean;
  /** Its whitespace-only runs, blanked if it turns out element-only. */
  spaces: Space[];
  /** A link element directly in the entry: its text is a URL. */
  linkText: boolean;
}

/** How an XHTML element's name starts in the canonical form (built once, not per tag). */
const XHTML_KEY = '{http://www.w3.org/1999/xhtml}';

/** XHTML elements laid out as blocks: whitespace between two of them (or at their parent's edge) shows nothing. */
const BLOCKS = new Set(
  (
    'address article aside blockquote body caption col colgroup dd details dialog div dl dt fieldset figcaption figure footer ' +
    'form h1 h2 h3 h4 h5 h6 head header hgroup hr html li main nav ol optgroup option p pre section summary table tbody td ' +
    'tfoot th thead tr ul'
  ).split(' '),
);

const URL_ATTRIBUTES = new Set(['href', 'url', 'src', 'resource', 'about']);

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

/** An attribute value as XML reads it: references decoded, each tab or line break a space. */
function attributeText(raw: string): string {
  const value = decodeEntities(raw);
  return /[\t\n\r]/.test(value) ? value.replace(/[\t\n\r]/g, ' ') : value;
}

/** The scan's handler itself: no closures per entry. */
class EntryCanon implements MarkupHandler {
  readonly parts: Record<ChangeField, string[]> = { title: [], content: [], link: [], dates: [], other: [] };
  private readonly stack: Frame[] = [];
  private readonly scope = new NamespaceScope();
  /** Text since the last tag, already escaped (canonical-text.ts). */
  private pending = '';
  /** The local part of the name `name` resolved last (a field, so resolving allocates no pair). */
  private local = '';
  private done = false;

  constructor(
    private readonly source: string,
    seeds: ReadonlyArray<readonly Attribute[]>,
    private readonly tracking: boolean,
  ) {
    for (const attributes of seeds) this.scope.enter(attributes);
  }

  /** `{uri}local`, or the bare local name in no namespace. */
  private name(qname: string): string {
    const { local, ns } = this.scope.resolve(qname);
    this.local = local;
    return ns ? `{${ns}}${local}` : local;
  }

  private attributes(list: readonly Attribute[]): string {
    if (list.length === 0) return '';
    const out: Array<[string, string]> = [];
    for (const { name, value } of list) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      // An attribute without a prefix is in no namespace, whatever the default namespace is.
      const prefixed = name.includes(':');
      const key = prefixed ? this.name(name) : name;
      const local = prefixed ? this.local : name;
      let v = attributeText(value);
      if (this.tracking && URL_ATTRIBUTES.has(local)) v = stripTracking(v);
      out.push([key, v]);
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('');
  }

  private flushText(): void {
    if (this.pending === '') return;
    const frame = this.stack[this.stack.length - 1];
    let run = this.pending;
    this.pending = '';
    if (!frame) return;
    const parts = this.parts[frame.field];
    if (!frame.mixed && isBlank(run)) frame.spaces.push({ index: parts.length, blockBefore: frame.lastBlock, blockAfter: true });
    else {
      frame.mixed = true;
      if (frame.linkText && this.tracking) run = escapeText(stripTracking(unescapeText(run).trim()));
    }
    parts.push(run);
  }

  startTag(tag: StartTag): boolean {
    if (this.done) return true;
    this.flushText();
    const declared = this.scope.enter(tag.attributes);
    const name = this.name(tag.qname);
    const local = this.local;
    const xhtml = name.startsWith(XHTML_KEY);
    const depth = this.stack.length;
    const parent = this.stack[depth - 1];
    if (parent) {
      const block = xhtml && BLOCKS.has(local);
      const space = parent.spaces[parent.spaces.length - 1];
      // The run just before this child (nothing since): is a block after it?
      if (space && space.index === this.parts[parent.field].length - 1) space.blockAfter = block;
      parent.hadChild = true;
      parent.lastBlock = block;
    }
    const field = depth === 0 ? 'other' : depth === 1 ? fieldOfName(local) : parent.field;
    const parts = this.parts[field];
    parts.push(`<${name}${this.attributes(tag.attributes)}>`);
    if (tag.selfClosing) {
      parts.push('</>');
      this.scope.leave(declared);
      if (depth === 0) this.done = true;
      return this.done;
    }
    const linkText = depth === 1 && field === 'link';
    const mixed = local === 'pre';
    this.stack.push({ qname: tag.qname, field, declared, mixed, hadChild: false, xhtml, lastBlock: true, spaces: [], linkText });
    return false;
  }

  endTag(qname: string): void {
    if (this.done) return;
    this.flushText();
    let match = this.stack.length - 1;
    while (match >= 0 && this.stack[match].qname !== qname) match--;
    if (match === -1) return;
    while (this.stack.length > match) this.close(this.stack.pop() as Frame);
    if (this.stack.length === 0) this.done = true;
  }

  private close(frame: Frame): void {
    const parts = this.parts[frame.field];
    if (!frame.mixed && frame.hadChild) {
      for (const sp of frame.spaces) if (!frame.xhtml || (sp.blockBefore && sp.blockAfter)) parts[sp.index] = '';
    }
    parts.push('</>');
    this.scope.leave(frame.declared);
  }

  text(start: number, end: number): void {
    if (!this.done) this.pending += decodeEscaped(this.source.slice(start, end));
  }

  cdata(start: number, end: number): void {
    if (!this.done) this.pending += escapeText(this.source.slice(start, end));
  }

  problem(): void {}

  finish(): MeaningParts {
    this.flushText();
    while (this.stack.length) this.close(this.stack.pop() as Frame);
    const p = this.parts;
    return {
      title: p.title.join(''),
      content: p.content.join(''),
      link: p.link.join(''),
      dates: p.dates.join(''),
      other: p.other.join(''),
    };
  }
}

/**
 * The canonical form of the entry at `span`, by field. `seeds` are the
 * attributes of the elements around it (root, container), whose namespace
 * declarations are in scope; `tracking` drops tracking parameters from links.
 */
export function xmlEntryParts(text: string, span: EntrySpan, seeds: ReadonlyArray<readonly Attribute[]>, tracking: boolean): MeaningParts {
  const canon = new EntryCanon(text, seeds, tracking);
  scanMarkup(text, canon, { from: span.start, to: span.end });
  return canon.finish();
}
