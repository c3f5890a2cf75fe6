import { describe, expect, it } from '@jest/globals';
import { HOSTILE_SHAPES } from '../../helpers/hostile-feeds.js';
import { PER_BYTE_BOUND, readsPerByte } from './fixtures.js';

/**
 * The engine's work grows linearly with its input, whatever the input: each
 * hostile shape is parsed at a small size and at ten times that size, and the
 * characters the scan reads (the tokenizer's reads, again after each restart,
 * the engine's own scans, the end-tag searches: src/feeds/work.ts) are
 * counted. The counts are exact, so the bounds are tight and cannot flake: a
 * linear engine reads about ten times as much at ten times the size (a
 * quadratic one a hundred), and a bounded number of characters per input byte
 * (a scan that starts over from far back reads thousands). The time each
 * shape takes is a benchmark row (`npm run bench -- feeds`, bench/feeds.ts).
 */

const SMALL = 32 * 1024;
const REPEAT = 10;
/** Ten times the input reads at most this many times as much (linear: 10, plus what rounding the shapes adds). */
const GROWTH_BOUND = 11;

describe('linear work on hostile input', () => {
  it.each(Object.keys(HOSTILE_SHAPES))(
    `%s: ten times the input reads at most ${GROWTH_BOUND}x as much, at most ${PER_BYTE_BOUND} characters a byte`,
    (name) => {
      const small = readsPerByte(Buffer.from(HOSTILE_SHAPES[name](SMALL)), 'application/rss+xml');
      const large = readsPerByte(Buffer.from(HOSTILE_SHAPES[name](REPEAT * SMALL)), 'application/rss+xml');
      expect(small.chars).toBeGreaterThan(0);
      expect(large.chars / small.chars).toBeLessThanOrEqual(GROWTH_BOUND);
      expect(large.perByte).toBeLessThanOrEqual(PER_BYTE_BOUND);
    },
  );
});
