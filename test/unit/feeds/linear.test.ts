import { describe, expect, it } from '@jest/globals';
import { parseFeed } from '../../../src/feeds/index.js';
import { HOSTILE_SHAPES } from '../../helpers/hostile-feeds.js';

/**
 * The engine's time grows linearly with its input, whatever the input: each
 * hostile shape is parsed at about 100 KB and at about 1 MB, and the larger
 * must take at most 15 times as long (a quadratic engine takes 100 times).
 * A ratio of CPU times within one run, so a busy machine slows both sides alike.
 */

const SMALL = 100 * 1024;
const LARGE = 1024 * 1024;

/**
 * CPU time (not wall time) of one parse, in ms: on a machine shared with the
 * integration suite, a 40 ms parse is often preempted, and wall time would
 * charge that to the engine.
 */
function ms(body: Buffer): number {
  // Collect first (npm test exposes gc) so one side does not pay for the other's garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.cpuUsage();
  parseFeed(body, 'application/rss+xml', 60_000);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * Best of several rounds for each size, the two sizes taken in turn so that
 * load from other test files weighs on both alike.
 */
function ratioOf(small: Buffer, large: Buffer): number {
  ms(large); // warm the code paths (and the heap) up first
  let bestSmall = Infinity;
  let bestLarge = Infinity;
  for (let i = 0; i < 7; i++) {
    bestSmall = Math.min(bestSmall, ms(small));
    bestLarge = Math.min(bestLarge, ms(large));
  }
  // Below 2 ms a timer tick or one scheduling hiccup decides; a quadratic engine is far slower at 100 KB anyway.
  return bestLarge / Math.max(bestSmall, 2);
}

describe('linear time on hostile input', () => {
  it.each(Object.keys(HOSTILE_SHAPES))('%s: 1 MB takes at most 15x the time of 100 KB', (name) => {
    const small = Buffer.from(HOSTILE_SHAPES[name](SMALL));
    const large = Buffer.from(HOSTILE_SHAPES[name](LARGE));
    expect(ratioOf(small, large)).toBeLessThanOrEqual(15);
  }, 60_000);
});
