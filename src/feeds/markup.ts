import type { Tokenizer } from 'htmlparser2';
import { Scan, type MarkupHandler } from './markup-tokens.js';
import type { Steps } from './steps.js';
import type { WorkCount } from './work.js';

/**
 * Markup tokens with their offsets, from htmlparser2's tokenizer (XML mode,
 * entities left alone). htmlparser2 is a state machine that reads each
 * character once and recovers from broken markup; this driver adds what a
 * feed engine needs on top: absolute offsets for verbatim slicing, a report
 * for every recovery (both in markup-tokens.ts), and a pause after each chunk
 * (steps.ts). It never throws and never uses a regular expression over the input.
 */

export type { Attribute, MarkupHandler, StartTag } from './markup-tokens.js';

export interface ScanOptions {
  from?: number;
  to?: number;
  /** Counts the characters read (tests). */
  work?: WorkCount;
}

/** Text fed to the tokenizer per write; the scan yields between writes. */
const CHUNK = 1 << 16;

/** Characters the tokenizer has read since its last reset (htmlparser2 keeps the count private). */
function tokenizerRead(tokenizer: Tokenizer): number {
  return (tokenizer as unknown as { index: number }).index;
}

/** Feeds `text` (or `[from, to)`) through the tokenizer, calling `handler` with absolute offsets; yields after each chunk. */
export function* scanMarkupSteps(text: string, handler: MarkupHandler, options: ScanOptions = {}): Steps<void> {
  const to = Math.min(options.to ?? text.length, text.length);
  const { work } = options;
  const scan = new Scan(text, handler, to, options.from ?? 0, work);
  let pos = scan.base;
  for (;;) {
    if (scan.restartAt !== -1) {
      if (work) work.chars += tokenizerRead(scan.tokenizer);
      scan.base = pos = scan.restartAt;
      scan.restartAt = -1;
      scan.tokenizer.reset();
    }
    if (scan.stopped) break;
    if (pos >= to) {
      scan.tokenizer.end();
      if (scan.restartAt !== -1) continue;
      break;
    }
    const end = Math.min(to, pos + CHUNK);
    scan.tokenizer.write(text.slice(pos, end));
    pos = end;
    yield;
  }
  if (work) work.chars += tokenizerRead(scan.tokenizer);
}

/** `scanMarkupSteps` run straight through (for short ranges such as one element's content). */
export function scanMarkup(text: string, handler: MarkupHandler, options: ScanOptions = {}): void {
  const steps = scanMarkupSteps(text, handler, options);
  while (!steps.next().done);
}
