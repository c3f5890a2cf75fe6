import type { Attribute } from './markup.js';
import { NamespaceScope } from './namespaces.js';
import type { FeedFormat } from './types.js';
import type { WorkCount } from './work.js';
import type { EntrySpan, XmlStructure } from './structure.js';

/**
 * The state scanXml (spans.ts) keeps while it reads a document: the open
 * elements, the entry being read, what the root said the feed is, and the
 * problems found so far. One plain object per document that each step of the
 * scan takes, so no closure is made per token.
 */

/** Problems listed one by one; more are counted. */
export const MAX_PROBLEMS = 20;

/** The part an element plays in the feed, which decides where its span is kept when it closes. */
export const enum Role {
  None,
  Entry,
  EntryChild,
  Container,
  HeadChild,
  Items,
}

/** An element open on the stack. */
export interface Frame {
  qname: string;
  local: string;
  ns: string;
  start: number;
  openEnd: number;
  attributes: readonly Attribute[];
  declared: string[] | undefined;
  role: Role;
}

export interface XmlScan {
  readonly text: string;
  readonly work: WorkCount | undefined;
  readonly out: XmlStructure;
  readonly scope: NamespaceScope;
  readonly stack: Frame[];
  problemCount: number;
  format: FeedFormat | undefined;
  feedNs: string;
  entry: EntrySpan | undefined;
  entryDepth: number;
  done: boolean;
  doctype: boolean;
  /** Where the attribute being checked is, for `reportInAttribute`. */
  where: string;
  /** Reporters for checkReferences, made once per scan. */
  readonly reportInText: (what: string, at: number) => void;
  readonly reportInAttribute: (what: string) => void;
}

/** A fresh state for reading `text`, made once per document. */
export function newScan(text: string, work: WorkCount | undefined): XmlScan {
  const out: XmlStructure = {
    format: undefined,
    root: undefined,
    container: undefined,
    headChildren: [],
    entries: [],
    listItems: [],
    problems: [],
  };
  const s: XmlScan = {
    text,
    work,
    out,
    scope: new NamespaceScope(),
    stack: [],
    problemCount: 0,
    format: undefined,
    feedNs: '',
    entry: undefined,
    entryDepth: -1,
    done: false,
    doctype: false,
    where: '',
    reportInText: (what, at) => problem(s, `${what} at offset ${at}`),
    reportInAttribute: (what) => problem(s, `${what} ${s.where}`),
  };
  return s;
}

/** Lists a problem, or past MAX_PROBLEMS only counts it. */
export function problem(s: XmlScan, message: string): void {
  s.problemCount++;
  if (s.problemCount <= MAX_PROBLEMS) s.out.problems.push(message);
}
