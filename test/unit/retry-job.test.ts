import { retryJob } from '../../src/queue/enqueue.js';

describe('retryJob', () => {
  test("a failed delivery's retry carries ids only, and its job id names the attempt", () => {
    expect(retryJob({ notificationId: 7, subscriptionId: 9, attempt: 2, delay: 1500 })).toEqual({
      name: 'retry',
      data: { kind: 'retry', notificationId: 7, subscriptionId: 9, attempt: 2 },
      opts: { delay: 1500, jobId: 'retry-7-9-2' },
    });
  });

  test('a postponement keeps the attempt number and gets its own job id per postponement', () => {
    const job = retryJob({ notificationId: 7, subscriptionId: 9, attempt: 2, deferred: 3, delay: 0 });
    expect(job.data).toEqual({ kind: 'retry', notificationId: 7, subscriptionId: 9, attempt: 2, deferred: 3 });
    expect(job.opts.jobId).toBe('retry-7-9-2-d3');
  });

  test("a replay's jobs stay apart from the delivery's own retries", () => {
    const job = retryJob({ notificationId: 7, subscriptionId: 9, attempt: 1, replay: 1700000000000 });
    expect(job).toEqual({
      name: 'retry',
      data: { kind: 'retry', notificationId: 7, subscriptionId: 9, attempt: 1, replay: 1700000000000 },
      opts: { jobId: 'retry-7-9-1-r1700000000000' },
    });
  });

  test("an operator's retry runs even while a scheduled retry of the same delivery waits", () => {
    const job = retryJob({ notificationId: 7, subscriptionId: 9, attempt: 5, manualAt: 1234 });
    expect(job.data).toEqual({ kind: 'retry', notificationId: 7, subscriptionId: 9, attempt: 5 });
    expect(job.opts).toEqual({ jobId: 'retry-7-9-now1234' });
  });
});
