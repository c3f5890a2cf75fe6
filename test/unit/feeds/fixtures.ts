import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = path.resolve(process.cwd(), 'test/fixtures/feeds');

export function readFixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, name));
}

/**
 * Runs `fn` and returns its result with the CPU time this process spent on it, in milliseconds: the work
 * done, which other processes loading the machine do not inflate the way they inflate wall time.
 */
export function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}
