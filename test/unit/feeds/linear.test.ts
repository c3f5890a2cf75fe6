import { describe, expect, it } from '@jest/globals';
import { parseFeed } from '../../../src/feeds/index.js';
import { HOSTILE_SHAPES } from '../../helpers/hostile-feeds.js';
import { threadCpuMs } from './fixtures.js';

/**
 * The engine's time grows linearly with its input, whatever the input: each
 * hostile shape is parsed at a small size and at ten times that size, and one
 * large parse is weighed against ten small ones, so both sides of the ratio
 * are the same amount of linear work, last about as long and meet the same
 * interference: a linear engine gives about 1, a quadratic one about 10. The
 * bound is 4: garbage collection costs a large parse a little more than ten
 * small ones, and a busy machine's contention for caches and memory weighs
 * more on one large parse than on ten small ones (a run of < in a title, 1.3
 * to 1.7 alone, gave 3.01 in a full CI run). A ratio of CPU times within one
 * run, so a busy machine otherwise slows both sides alike.
 */

const REPEAT = 10;
const BOUND = 4;
/** Cheap shapes are grown until a small parse costs this much CPU, so timer and GC noise stay small beside it. */
const SMALL_MS = 3;

/** CPU time of `times` parses, in ms. */
function ms(body: Buffer, times: number): number {
  // Collect first (npm test exposes gc) so one side does not pay for the other's garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const start = threadCpuMs();
  for (let i = 0; i < times; i++) parseFeed(body, 'application/rss+xml', 60_000);
  return threadCpuMs() - start;
}

/** The small size for a shape: 64 KB, doubled while one parse stays under SMALL_MS (up to 1 MB). */
function smallSize(shape: (bytes: number) => string): number {
  let size = 64 * 1024;
  while (size < 1024 * 1024) {
    const body = Buffer.from(shape(size));
    ms(body, 1); // warm up
    if (Math.min(ms(body, 1), ms(body, 1)) >= SMALL_MS) break;
    size *= 2;
  }
  return size;
}

/**
 * Best of several rounds for each side, the two sides taken in turn so that
 * load from other test files weighs on both alike.
 */
function ratioOf(small: Buffer, large: Buffer): number {
  ms(large, 1); // warm the code paths (and the heap) up first
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let i = 0; i < 7; i++) {
    bestSmall = Math.min(bestSmall, ms(small, REPEAT));
    bestLarge = Math.min(bestLarge, ms(large, 1));
  }
  if (process.env.LINEAR_DEBUG) console.log(small.length, bestSmall, bestLarge);
  return bestLarge / bestSmall;
}

describe('linear time on hostile input', () => {
  it.each(Object.keys(HOSTILE_SHAPES))(
    `%s: ten times the input takes at most ${BOUND * REPEAT}x the time`,
    (name) => {
      const size = smallSize(HOSTILE_SHAPES[name]);
      const small = Buffer.from(HOSTILE_SHAPES[name](size));
      const large = Buffer.from(HOSTILE_SHAPES[name](REPEAT * size));
      expect(ratioOf(small, large)).toBeLessThanOrEqual(BOUND);
    },
    120_000,
  );
});
