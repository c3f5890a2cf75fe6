import fs from 'node:fs';
import path from 'node:path';
import { parseFeed, type ParseOutcome, type WorkCount } from '../../../src/feeds/index.js';

export const FIXTURES_DIR = path.resolve(process.cwd(), 'test/fixtures/feeds');

export function readFixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, name));
}

/** Far beyond a linear parse of a test's input on a loaded machine (wall time), so only a broken engine is stopped by it. */
const WORK_BUDGET_MS = 60_000;

/** What parsing `body` gave, and how many characters its scan read (src/feeds/work.ts) per byte of input. */
export function readsPerByte(body: Buffer, contentType: string | undefined): { outcome: ParseOutcome; chars: number; perByte: number } {
  const work: WorkCount = { chars: 0 };
  const outcome = parseFeed(body, contentType, WORK_BUDGET_MS, work);
  // A parse its budget stopped read less than it would have: its count means nothing.
  if ('reason' in outcome && outcome.reason?.includes('budget')) throw new Error(`parse stopped by its budget: ${outcome.reason}`);
  return { outcome, chars: work.chars, perByte: work.chars / Math.max(1, body.length) };
}

/**
 * Characters a linear scan reads per input byte, at most: the worst hostile shape today reads 9.5 (each
 * unmatched `</y>` is matched against 32 open elements); a scan that starts over from far back reads thousands.
 */
export const PER_BYTE_BOUND = 12;
