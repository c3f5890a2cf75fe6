import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve('dist/cli.js');

/** Runs `node dist/cli.js <args>` with `env` on top of a clean environment; resolves its exit code and output. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HUB_DATA_DIR: '/nonexistent-never-used', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('crier start-up with a bad environment', () => {
  test.each<[string, Record<string, string>, string[]]>([
    ['all', { PORT: 'eighty' }, ['PORT']],
    ['web', { HUB_MAX_ATTEMPTS: '0' }, ['HUB_MAX_ATTEMPTS']],
    ['worker', { REDIS_URL: 'http://not-redis' }, ['REDIS_URL']],
    ['migrate', { DATABASE_URL: 'mysql://db/x' }, ['DATABASE_URL']],
    ['all', { HUB_TOPIC_ALLOW: 'gopher://old.example/' }, ['HUB_TOPIC_ALLOW']],
    ['all', { PORT: '-1', LOG_LEVEL: 'loud', HUB_TRUST_PROXY: 'perhaps' }, ['PORT', 'LOG_LEVEL', 'HUB_TRUST_PROXY']],
  ])('`crier %s` with %j exits non-zero with one line naming the variable', async (command, env, names) => {
    const { code, stdout, stderr } = await runCli([command], env);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^crier: invalid configuration: /);
    for (const name of names) expect(lines[0]).toContain(name);
  });
});

describe('crier config', () => {
  test('prints the effective settings with keys, tokens and URL passwords hidden, and names a misspelt variable', async () => {
    const token = '67cea0f5ba26897181d62217770b2be7';
    const { code, stdout, stderr } = await runCli(['config'], {
      HUB_FETCH_PER_HOST: '7',
      HUB_ADMIN_TOKEN: token,
      DATABASE_URL: 'postgres://crier:db-password@db.example/crier',
      HUB_SECRET_KEY: 'a'.repeat(64),
      HUB_FETCH_CONCURENCY: '3',
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^HUB_FETCH_PER_HOST=7$/m);
    expect(stdout).toMatch(/^HUB_FETCH_CONCURRENCY=32$/m);
    expect(stdout).toMatch(/^HUB_ADMIN_TOKEN=\[set\]$/m);
    expect(stdout).toMatch(/^HUB_SECRET_KEY=1 key\(s\)$/m);
    expect(stdout).toContain('postgres://crier:***@db.example/crier');
    for (const secret of [token, 'db-password', 'a'.repeat(64)]) expect(stdout).not.toContain(secret);
    expect(stderr.trim()).toBe('crier: HUB_FETCH_CONCURENCY is not a setting Crier reads (misspelt?)');
  });
});
