import { Writable } from 'node:stream';
import { pino } from 'pino';
import { errorEventLogger, REPEAT_WINDOW_MS } from '../../src/error-events.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  return { log, lines };
}

describe('error event logger', () => {
  test('logs each distinct error once per window, then again with the count of repeats', () => {
    let t = 0;
    const { log, lines } = capture();
    const report = errorEventLogger(log, 'redis', () => t);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 50; i++) report(refused);
    report(new Error('READONLY You cannot write against a read only replica'));
    expect(lines.map((l) => [l.source, l.code, l.repeats])).toEqual([
      ['redis', 'ECONNREFUSED', 0],
      ['redis', undefined, 0],
    ]);
    t += REPEAT_WINDOW_MS;
    report(refused);
    expect(lines[2]).toMatchObject({ source: 'redis', err: { message: refused.message }, repeats: 49, msg: 'redis reported an error' });
    // The error goes to pino whole, so the line keeps where it was raised.
    expect((lines[2].err as { stack: string }).stack).toContain('error-events.test.ts');
  });

  test('a thrown non-Error is logged too', () => {
    const { log, lines } = capture();
    errorEventLogger(log, 'queue fetch')('a string');
    expect(lines[0]).toMatchObject({ source: 'queue fetch', err: { message: 'a string' } });
  });
});
