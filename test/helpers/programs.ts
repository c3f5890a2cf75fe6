import fs from 'node:fs';
import path from 'node:path';

/** An outside program a suite needs, where the suite looks for it, and what installs it. */
export interface Program {
  what: string;
  found: boolean;
  install: string;
}

/** Whether `command` (a path, or a name looked up in PATH) is an executable file. */
export function executable(command: string): boolean {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  return candidates.some((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * `describe` when every program the suite needs is here. Otherwise the suite says
 * so in one line on stderr and is skipped (`describe.skip`), or, under
 * CRIER_REQUIRE_ALL=1 (`.ci/run` sets it), fails, so CI still runs everything.
 */
export function describeWith(...programs: Program[]): jest.Describe {
  const missing = programs.filter((p) => !p.found);
  if (missing.length === 0) return describe;
  const suite = path.relative(process.cwd(), expect.getState().testPath ?? 'this suite');
  const why = missing.map((p) => `${p.what} not found (${p.install})`).join('; ');
  if (process.env.CRIER_REQUIRE_ALL === '1') throw new Error(`${suite}: ${why}; CRIER_REQUIRE_ALL=1 requires it`);
  process.stderr.write(`${suite} skipped: ${why}\n`);
  return describe.skip;
}
