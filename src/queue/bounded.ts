/** How long a request waits for the queue backend before answering anyway (the row is stored; the sweep enqueues it). */
export const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * `work`'s answer, or an Error with `message` once `ms` have passed. The work
 * goes on; a late failure of it is nobody's to handle here.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * While Redis is down ioredis holds commands until it reconnects, so an
 * enqueue would hold the HTTP answer hostage. Give up waiting after
 * ENQUEUE_TIMEOUT_MS; if the held command lands later, job ids keep it
 * idempotent, and a late failure is the sweep's to repair.
 */
export async function bounded(add: Promise<unknown>, what: string): Promise<void> {
  await withTimeout(add, ENQUEUE_TIMEOUT_MS, `queue backend did not take the ${what} within ${ENQUEUE_TIMEOUT_MS} ms`);
}
