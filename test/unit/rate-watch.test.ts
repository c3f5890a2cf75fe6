import { createRateWatch, type WatchedTransfer } from '../../src/net/rate-watch.js';

/** A transfer that records what the watch told it. */
function transfer(): WatchedTransfer & { received: number; judged: Array<[number, number]> } {
  return {
    received: 0,
    judged: [],
    tooSlow(sent, windowMs) {
      this.judged.push([sent, windowMs]);
    },
  };
}

describe('the rate watch (H28: time spent on a slow peer)', () => {
  let t: number;
  beforeEach(() => {
    t = 1_000_000;
  });

  test('H28: a transfer that receives fewer than the floor bytes over a window is abandoned, once', () => {
    const watch = createRateWatch(5000, 100, () => t);
    const slow = transfer();
    watch.watch(slow);
    slow.received = 499;
    t += 4999;
    watch.sweep();
    expect(slow.judged).toEqual([]);
    t += 1;
    watch.sweep();
    expect(slow.judged).toEqual([[499, 5000]]);
    t += 5000;
    watch.sweep();
    expect(slow.judged).toHaveLength(1);
  });

  test('H28: each window is judged on its own bytes, from the end of the previous one', () => {
    const watch = createRateWatch(5000, 100, () => t);
    const steady = transfer();
    watch.watch(steady);
    steady.received = 10_000;
    t += 5000;
    watch.sweep();
    // A first window well above the floor lends nothing to the second.
    steady.received = 10_400;
    t += 6000;
    watch.sweep();
    expect(steady.judged).toEqual([[400, 6000]]);
  });

  test('a transfer unwatched before its window ends is never judged', () => {
    const watch = createRateWatch(5000, 100, () => t);
    const quick = transfer();
    watch.watch(quick);
    watch.unwatch(quick);
    t += 10_000;
    watch.sweep();
    expect(quick.judged).toEqual([]);
  });
});
