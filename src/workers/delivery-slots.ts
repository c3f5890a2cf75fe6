/**
 * Bounds POSTs in flight across every deliver job of a process. Each job hands
 * over its whole list; a free slot goes to the list with the lowest `order`
 * (the oldest page of a fan-out) and takes its next item. Nothing is built for
 * an item until its slot is free, so thousands of queued subscribers cost
 * nothing, and pages finish oldest first, which keeps what a crash re-delivers small.
 */
export interface DeliverySlots {
  map<T, R>(items: T[], order: number, fn: (item: T) => Promise<R>): Promise<R[]>;
}

interface Batch {
  order: number;
  seq: number;
  next: number;
  pending: number;
  start(): boolean;
}

export function createDeliverySlots(limit: number): DeliverySlots {
  let active = 0;
  let arrivals = 0;
  const batches: Batch[] = []; // sorted by (order, seq); only those with items left

  function pump(): void {
    while (active < limit && batches.length > 0) {
      if (!batches[0].start()) batches.shift();
    }
  }

  return {
    map<T, R>(items: T[], order: number, fn: (item: T) => Promise<R>): Promise<R[]> {
      if (items.length === 0) return Promise.resolve([]);
      return new Promise<R[]>((resolve, reject) => {
        const results = new Array<R>(items.length);
        const batch: Batch = {
          order,
          seq: arrivals++,
          next: 0,
          pending: items.length,
          start() {
            if (batch.next >= items.length) return false;
            const i = batch.next++;
            active++;
            fn(items[i]).then(
              (value) => {
                results[i] = value;
                active--;
                if (--batch.pending === 0) resolve(results);
                pump();
              },
              (err: unknown) => {
                active--;
                reject(err instanceof Error ? err : new Error(String(err)));
                pump();
              },
            );
            return true;
          },
        };
        let at = batches.findIndex((b) => b.order > order);
        if (at === -1) at = batches.length;
        batches.splice(at, 0, batch);
        pump();
      });
    },
  };
}
