/** How long a request waits for the queue backend before answering anyway (the row is stored; the sweep enqueues it). */
export const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * While Redis is down ioredis holds commands until it reconnects, so an
 * enqueue would hold the HTTP answer hostage. Give up waiting after
 * ENQUEUE_TIMEOUT_MS; if the held command lands later, job ids keep it idempotent.
 */
export async function bounded(add: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`queue backend did not take the ${what} within ${ENQUEUE_TIMEOUT_MS} ms`)),
      ENQUEUE_TIMEOUT_MS,
    );
  });
  add.catch(() => {}); // a late failure after the timeout is the sweep's to repair
  try {
    await Promise.race([add, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
