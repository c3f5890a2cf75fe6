import { decodeBody } from '../../../src/feeds/decode.js';
import { scanMarkup, type StartTag } from '../../../src/feeds/markup.js';
import { scanXml, type ElementSpan, type EntrySpan, type XmlStructure } from '../../../src/feeds/spans.js';
import { runSteps } from '../../../src/feeds/steps.js';

/**
 * What a publisher's new serialiser, a minifier or a CDN does to a feed
 * without changing what it says (issue 26), and the edits that do change it.
 * Each works on the decoded text; the results are served as UTF-8.
 */

export type Edit = { start: number; end: number; text: string };

export function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (const e of sorted) {
    if (e.start < cursor) continue;
    out += text.slice(cursor, e.start) + e.text;
    cursor = e.end;
  }
  return out + text.slice(cursor);
}

export function decodedText(body: Buffer, contentType: string | undefined): string {
  return decodeBody(body, contentType).text;
}

export function structureOf(text: string): XmlStructure {
  const run = runSteps(scanXml(text), 60_000);
  if (!run.done) throw new Error('scan did not finish');
  return run.value;
}

function isBlank(s: string): boolean {
  return s.trim() === '';
}

/** Start tags inside [from, to), each rewritten by `rewrite`. */
function rewriteStartTags(text: string, from: number, to: number, rewrite: (tag: StartTag) => string | undefined): Edit[] {
  const edits: Edit[] = [];
  scanMarkup(
    text,
    {
      startTag: (tag) => {
        const replaced = rewrite(tag);
        if (replaced !== undefined) edits.push({ start: tag.start, end: tag.openEnd, text: replaced });
      },
      endTag: () => undefined,
      problem: () => undefined,
    },
    { from, to },
  );
  return edits;
}

function startTag(qname: string, attributes: Array<[string, string]>, selfClosing: boolean, quote: "'" | '"'): string {
  const attrs = attributes.map(([n, v]) => {
    const q = v.includes(quote) ? (quote === "'" ? '"' : "'") : quote;
    return ` ${n}=${q}${v}${q}`;
  });
  return `<${qname}${attrs.join('')}${selfClosing ? '/>' : '>'}`;
}

/** The whitespace between an entry's children, each gap replaced by another (or some where there was none). */
function childGaps(text: string, entry: EntrySpan): Edit[] {
  const bounds = [entry.openEnd, ...entry.children.flatMap((c) => [c.start, c.end]), entry.closeStart];
  const edits: Edit[] = [];
  for (let i = 0; i + 1 < bounds.length; i += 2) {
    const [start, end] = [bounds[i], bounds[i + 1]];
    if (end >= start && isBlank(text.slice(start, end))) edits.push({ start, end, text: i === 0 ? '\n\t\t  ' : '\r\n      \t' });
  }
  return edits;
}

/** Every entry with other whitespace between its children and single-quoted attributes in its tags. */
export function reserialiseXml(text: string): string {
  const structure = structureOf(text);
  const edits: Edit[] = [];
  for (const entry of structure.entries) {
    // Only an entry whose content is elements only has whitespace a serialiser may choose.
    const gaps = childGaps(text, entry);
    if (entry.children.length > 0 && gaps.length === entry.children.length + 1) edits.push(...gaps);
    edits.push(
      ...rewriteStartTags(text, entry.start, entry.end, (tag) =>
        tag.attributes.length
          ? startTag(
              tag.qname,
              tag.attributes.map((a) => [a.name, a.value]),
              tag.selfClosing,
              "'",
            )
          : undefined,
      ),
    );
  }
  return applyEdits(text, edits);
}

/** The prefixes the root element declares, each renamed (`p` to `p_2`) in every tag and declaration of the document. */
export function renamePrefixes(text: string): string | undefined {
  const structure = structureOf(text);
  const declared = (structure.root?.attributes ?? []).filter((a) => a.name.startsWith('xmlns:')).map((a) => a.name.slice(6));
  if (declared.length === 0) return undefined;
  const renamed = new Map(declared.map((p) => [p, `${p}_2`]));
  const rename = (qname: string): string => {
    const colon = qname.indexOf(':');
    if (qname.startsWith('xmlns:')) return `xmlns:${renamed.get(qname.slice(6)) ?? qname.slice(6)}`;
    return colon === -1 ? qname : `${renamed.get(qname.slice(0, colon)) ?? qname.slice(0, colon)}${qname.slice(colon)}`;
  };
  const edits: Edit[] = [];
  scanMarkup(text, {
    startTag: (tag) => {
      const attrs = tag.attributes.map((a): [string, string] => [rename(a.name), a.value]);
      edits.push({ start: tag.start, end: tag.openEnd, text: startTag(rename(tag.qname), attrs, tag.selfClosing, '"') });
    },
    endTag: (qname, start, end) => edits.push({ start, end, text: `</${rename(qname)}>` }),
    problem: () => undefined,
  });
  return applyEdits(text, edits);
}

/** CDATA sections inside entries written as escaped text; undefined when the entries hold none. */
export function cdataToText(text: string): string | undefined {
  const edits: Edit[] = [];
  for (const entry of structureOf(text).entries) {
    scanMarkup(
      text,
      {
        startTag: () => undefined,
        endTag: () => undefined,
        cdata: (s, e) => {
          const escaped = text.slice(s, e).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
          edits.push({ start: s - 9, end: e + 3, text: escaped });
        },
        problem: () => undefined,
      },
      { from: entry.start, to: entry.end },
    );
  }
  return edits.length ? applyEdits(text, edits) : undefined;
}

/** The first entry with a child named as given (its local name, in any namespace), and that child. */
export function firstChild(text: string, names: readonly string[]): { index: number; child: ElementSpan } | undefined {
  const entries = structureOf(text).entries;
  for (let index = 0; index < entries.length; index++) {
    const child = entries[index].children.find((c) => names.includes(c.local) && c.closeStart > c.openEnd);
    if (child) return { index, child };
  }
  return undefined;
}

/** The text with a word put at the start of that child's content. */
export function editChild(text: string, child: ElementSpan, word = 'Edited '): string {
  return applyEdits(text, [{ start: child.openEnd, end: child.openEnd, text: word }]);
}

function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .reverse()
      .map(([k, v]) => [k, reorder(v)]),
  );
}

/** A JSON Feed compact, with every object's keys in reverse order. */
export function reserialiseJson(text: string): string {
  return JSON.stringify(reorder(JSON.parse(text)));
}
