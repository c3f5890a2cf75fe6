/** A body being received, as the rate watch sees it. */
export interface WatchedTransfer {
  /** Bytes received so far. */
  readonly received: number;
  /** Called once when a window ends with fewer than the floor's bytes; the transfer is no longer watched. */
  tooSlow(sent: number, windowMs: number): void;
}

export interface RateWatch {
  watch(transfer: WatchedTransfer): void;
  unwatch(transfer: WatchedTransfer): void;
  /** Judges every transfer whose window has ended: what the watch's timer runs (tests call it on their own clock). */
  sweep(): void;
}

/** How many times per window the watch looks: a window is judged at most this fraction of it late. */
const TICKS_PER_WINDOW = 5;

/**
 * Judges every transfer's rate over consecutive windows of `windowMs` from the moment it is watched,
 * abandoning one that received fewer than `minBytesPerSecond` over a window. One timer for all the
 * transfers in flight (running only while there are some), not one per fetch: a fetch that ends
 * within its first window costs a map insert and delete.
 */
export function createRateWatch(windowMs: number, minBytesPerSecond: number, now: () => number = Date.now): RateWatch {
  const floor = (minBytesPerSecond * windowMs) / 1000;
  // Per transfer: when its current window started and how much it had received then.
  const windows = new Map<WatchedTransfer, { startedAt: number; receivedAtStart: number }>();
  let timer: NodeJS.Timeout | undefined;

  function tick(): void {
    const t = now();
    for (const [transfer, window] of windows) {
      const elapsed = t - window.startedAt;
      if (elapsed < windowMs) continue;
      const sent = transfer.received - window.receivedAtStart;
      if (sent < floor) {
        windows.delete(transfer);
        transfer.tooSlow(sent, elapsed);
      } else {
        window.startedAt = t;
        window.receivedAtStart = transfer.received;
      }
    }
    if (windows.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    watch(transfer) {
      windows.set(transfer, { startedAt: now(), receivedAtStart: transfer.received });
      if (!timer) {
        timer = setInterval(tick, windowMs / TICKS_PER_WINDOW);
        timer.unref();
      }
    },
    unwatch(transfer) {
      windows.delete(transfer);
    },
    sweep: tick,
  };
}
