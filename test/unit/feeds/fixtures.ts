import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = path.resolve(process.cwd(), 'test/fixtures/feeds');

export function readFixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, name));
}

/** Runs `fn` and returns its result with the elapsed wall time in milliseconds. */
export function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}
