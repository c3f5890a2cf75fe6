import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = path.resolve(process.cwd(), 'test/fixtures/feeds');

export function readFixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, name));
}

/**
 * CPU time of this thread, in ms: not wall time, because on a machine shared
 * with the integration suite a parse is often preempted; and not the process's,
 * because V8's helper threads go on sweeping after a collection and would
 * charge that to whichever parse comes next (a 50 MB parse against a 5 MB one
 * gave 29x instead of about 10x under a full Node 24 suite that way). Linux
 * tells a thread's own time to the nanosecond; elsewhere the process's time
 * stands in.
 */
export function threadCpuMs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
}

/**
 * Runs `fn` and returns its result with the CPU time this thread spent on it, in milliseconds: the work
 * done, which other processes loading the machine do not inflate the way they inflate wall time.
 */
export function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = threadCpuMs();
  const result = fn();
  return { result, ms: threadCpuMs() - start };
}
