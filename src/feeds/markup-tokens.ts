import { QuoteType, Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import type { WorkCount } from './work.js';

/**
 * htmlparser2's tokenizer callbacks turned into markup tokens with absolute
 * offsets (for verbatim slicing) and a report for every recovery the
 * tokenizer makes. markup.ts feeds the text through in chunks; this module
 * says what each token means. It never throws and never uses a regular
 * expression over the input.
 */

export interface Attribute {
  /** Qualified name as written. */
  name: string;
  /** Raw value as written (character references not decoded). */
  value: string;
}

export interface StartTag {
  qname: string;
  /** Offset of `<`. */
  start: number;
  /** Offset just after `>`. */
  openEnd: number;
  attributes: readonly Attribute[];
  selfClosing: boolean;
}

export interface MarkupHandler {
  /** Return true to stop scanning. */
  startTag(tag: StartTag): boolean | void;
  /** `start` is the offset of `</`, `end` just after its `>`. */
  endTag(qname: string, start: number, end: number): void;
  /** Character data (references not decoded); may come in several pieces. */
  text?(start: number, end: number): void;
  /** Content of a CDATA section. */
  cdata?(start: number, end: number): void;
  /** A `<!...>` declaration such as DOCTYPE; `start` is just after `<!`. */
  declaration?(start: number, end: number): void;
  /** A recovery the tokenizer made: the markup was not well-formed here. */
  problem(message: string): void;
}

/** Shared by every tag without attributes (most of them); never written to. */
const NO_ATTRIBUTES: Attribute[] = [];

/** The slice `[start, end)` holds `ch` at this offset, or -1 (never looks past `end`). */
function indexIn(text: string, ch: string, start: number, end: number, work: WorkCount | undefined): number {
  if (work) work.chars += end - start;
  const i = text.slice(start, end).indexOf(ch);
  return i === -1 ? -1 : start + i;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Offset just after a DOCTYPE with an internal subset (`[...]>`), scanning once from `from`. */
function doctypeEnd(text: string, from: number, to: number): number {
  const bracket = text.indexOf(']', from);
  for (let b = bracket; b !== -1 && b < to; b = text.indexOf(']', b + 1)) {
    let k = b + 1;
    while (k < to && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 10 || text.charCodeAt(k) === 13 || text.charCodeAt(k) === 9)) k++;
    if (text.charCodeAt(k) === 62) return k + 1;
  }
  return to;
}

/**
 * The tokenizer's callbacks, turned into handler calls with absolute offsets.
 * A class rather than closures: elementText scans many small ranges, and
 * per-call closures cost more than the scanning.
 */
export class Scan implements TokenizerCallbacks {
  /** Offset in `text` of the current tokenizer's first character. */
  base: number;
  restartAt = -1;
  stopped = false;
  tokenizer: Tokenizer;
  private tagStart = -1;
  private qname = '';
  private attributes: Attribute[] = [];
  private attrName = '';
  private valueStart = -1;
  private valueEnd = -1;
  // The tokenizer cuts text at chunk boundaries; runs are joined so `&amp;` never arrives in pieces.
  private textStart = -1;
  private textEnd = -1;

  constructor(
    private readonly text: string,
    private readonly handler: MarkupHandler,
    private readonly to: number,
    from: number,
    readonly work: WorkCount | undefined,
  ) {
    this.base = from;
    this.tokenizer = new Tokenizer({ xmlMode: true, decodeEntities: false }, this);
  }

  /** Counts `chars` read by the driver's own scans (when counting). */
  private count(chars: number): void {
    if (this.work) this.work.chars += chars;
  }

  private halted(): boolean {
    return this.stopped || this.restartAt !== -1;
  }

  private restart(at: number): void {
    this.restartAt = at;
    this.tagStart = -1;
    this.tokenizer.pause();
  }

  private flushText(): void {
    if (this.textStart === -1) return;
    const lt = indexIn(this.text, '<', this.textStart, this.textEnd, this.work);
    if (lt !== -1) this.handler.problem(`stray '<' in text at offset ${lt}`);
    this.handler.text?.(this.textStart, this.textEnd);
    this.textStart = -1;
  }

  /**
   * A `<` inside a tag cannot be XML: the tag's `<` was a stray character. Scanning starts over at the
   * last `<` of the token (the ones before it would each be another stray `<`), so a run of `<` is
   * read once, not once per character.
   */
  private strayLt(lt: number): void {
    this.handler.problem(`stray '<' at offset ${this.tagStart} (<${clip(this.qname)} is not a tag)`);
    this.flushText();
    this.handler.text?.(this.tagStart, lt);
    this.restart(lt);
  }

  private openTag(gt: number, selfClosing: boolean): void {
    if (this.tagStart === -1) return;
    const tag: StartTag = { qname: this.qname, start: this.tagStart, openEnd: gt + 1, attributes: this.attributes, selfClosing };
    this.tagStart = -1;
    if (this.handler.startTag(tag) === true) {
      this.stopped = true;
      this.tokenizer.pause();
    }
  }

  onopentagname(s: number, e: number): void {
    if (this.halted()) return;
    this.flushText();
    this.tagStart = this.base + s - 1;
    this.qname = this.text.slice(this.base + s, this.base + e);
    this.attributes = NO_ATTRIBUTES;
    this.count(this.qname.length);
    const lt = this.qname.lastIndexOf('<');
    if (lt !== -1) this.strayLt(this.base + s + lt);
  }

  onattribname(s: number, e: number): void {
    if (this.halted() || this.tagStart === -1) return;
    this.attrName = this.text.slice(this.base + s, this.base + e);
    this.valueStart = -1;
    this.count(this.attrName.length);
    const lt = this.attrName.lastIndexOf('<');
    if (lt !== -1) this.strayLt(this.base + s + lt);
  }

  onattribdata(s: number, e: number): void {
    if (this.halted() || this.tagStart === -1) return;
    if (this.valueStart === -1) this.valueStart = this.base + s;
    this.valueEnd = this.base + e;
    // `<` is not allowed in an attribute value: a quote was left open and the value ran into markup.
    // Here the first `<`: the quote was left open, and the markup right after it is what to recover.
    const lt = indexIn(this.text, '<', this.base + s, this.base + e, this.work);
    if (lt !== -1) this.strayLt(lt);
  }

  onattribend(quote: QuoteType): void {
    if (this.halted() || this.tagStart === -1) return;
    const where = `${clip(this.attrName)} in <${clip(this.qname)}> at offset ${this.tagStart}`;
    if (quote === QuoteType.Unquoted) this.handler.problem(`unquoted value of attribute ${where}`);
    else if (quote === QuoteType.NoValue) this.handler.problem(`attribute without a value: ${where}`);
    if (this.attributes === NO_ATTRIBUTES) this.attributes = [];
    this.attributes.push({ name: this.attrName, value: this.valueStart === -1 ? '' : this.text.slice(this.valueStart, this.valueEnd) });
  }

  onopentagend(e: number): void {
    if (!this.halted()) this.openTag(this.base + e, false);
  }

  onselfclosingtag(e: number): void {
    if (!this.halted()) this.openTag(this.base + e, true);
  }

  onclosetag(s: number, e: number): void {
    if (this.halted()) return;
    this.flushText();
    const name = this.text.slice(this.base + s, this.base + e);
    this.count(name.length);
    const lt = name.lastIndexOf('<');
    if (lt !== -1) {
      this.tagStart = this.base + s - 2;
      this.qname = `/${name}`;
      this.strayLt(this.base + s + lt);
      return;
    }
    // The tokenizer skips to the next `>`; so does the element's extent.
    const gt = this.text.indexOf('>', this.base + e);
    this.count((gt === -1 ? this.text.length : gt + 1) - (this.base + e));
    const start = this.base + s - 2;
    if (gt === -1 || gt >= this.to) {
      this.handler.problem(`end tag </${clip(name)} at offset ${start} has no '>'`);
      this.handler.endTag(name, start, this.to);
    } else this.handler.endTag(name, start, gt + 1);
  }

  ontext(s: number, e: number): void {
    if (this.halted()) return;
    if (this.textStart === -1 || this.textEnd !== this.base + s) {
      this.flushText();
      this.textStart = this.base + s;
    }
    this.textEnd = this.base + e;
  }

  oncdata(s: number, e: number, endOffset: number): void {
    if (this.halted()) return;
    this.flushText();
    if (endOffset === 0) this.handler.problem(`CDATA section at offset ${this.base + s - 9} is not closed`);
    this.handler.cdata?.(this.base + s, this.base + e - endOffset);
  }

  oncomment(s: number, _e: number, endOffset: number): void {
    if (this.halted()) return;
    this.flushText();
    if (endOffset === 0) this.handler.problem(`comment at offset ${this.base + s - 4} is not closed`);
  }

  ondeclaration(s: number, e: number): void {
    if (this.halted()) return;
    this.flushText();
    const at = this.base + s;
    this.handler.declaration?.(at, this.base + e);
    // The tokenizer ends a declaration at its first `>`; a DOCTYPE's internal subset holds more of them.
    const isDoctype = this.text.slice(at, Math.min(this.base + e, at + 7)).toUpperCase() === 'DOCTYPE';
    if (isDoctype && indexIn(this.text, '[', at, this.base + e, this.work) !== -1) {
      const end = doctypeEnd(this.text, at, this.to);
      this.count(end - at);
      this.restart(end);
    }
  }

  onprocessinginstruction(s: number): void {
    const at = this.base + s;
    const bom = this.text.charCodeAt(0) === 0xfeff ? 1 : 0;
    if (!this.halted() && at - 2 > bom && this.text.startsWith('xml', at) && this.text.charCodeAt(at + 3) <= 32) {
      this.handler.problem(`XML declaration at offset ${at - 2} is not at the start of the document`);
    }
  }

  onattribentity(): void {}

  ontextentity(): void {}

  onend(): void {
    this.flushText();
    if (this.tagStart === -1) return;
    // An unterminated tag at the end of the range was never a tag: its characters are text.
    this.handler.problem(`document ends inside the tag <${clip(this.qname)} at offset ${this.tagStart}`);
    this.handler.text?.(this.tagStart, this.to);
  }
}
