import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startTestHub } from '../helpers/hub.js';

/** Every file and directory under `dir` (itself included) whose mode gives group or other users any access. */
function openToOthers(dir: string): string[] {
  const open: string[] = [];
  const walk = (p: string) => {
    const stat = fs.lstatSync(p);
    if (stat.isSymbolicLink()) return;
    if (stat.mode & 0o077) open.push(`${(stat.mode & 0o777).toString(8)} ${path.relative(dir, p) || '.'}`);
    if (stat.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return open;
}

/** Log lines, parsed, from a hub started with `logDestination`. */
function logSink(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

/** Whether user `nobody` can read `file` (root only, with runuser present); undefined when that cannot be tried here. */
function nobodyCanRead(file: string): boolean | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const run = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', file], { stdio: 'ignore' });
  if (run.error) return undefined;
  return run.status === 0;
}

/** Issue 20, item 4: the embedded data directory is the hub user's alone. Item 13: a key ring that cannot open old secrets is named at start. */
describe('the embedded data directory', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'crier-datadir-'));
    // Only the data directory's own modes stand between other users and its files.
    fs.chmodSync(root, 0o755);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('made by a first start', () => {
    const dataDir = () => path.join(root, 'fresh', 'data');
    const key = crypto.randomBytes(32).toString('hex');

    test('is created 0700 with nothing under it open to group or other users, running and after stop', async () => {
      const hub = await startTestHub('embedded', { HUB_DATA_DIR: dataDir() });
      try {
        expect(fs.statSync(dataDir()).mode & 0o777).toBe(0o700);
        expect(fs.existsSync(path.join(dataDir(), 'secret.key'))).toBe(true);
        expect(fs.existsSync(path.join(dataDir(), 'pglite', 'PG_VERSION'))).toBe(true);
        expect(openToOthers(dataDir())).toEqual([]);
        expect(nobodyCanRead(path.join(dataDir(), 'pglite', 'PG_VERSION'))).not.toBe(true);
      } finally {
        await hub.stop();
      }
      expect(openToOthers(dataDir())).toEqual([]);
    }, 120_000);

    test('started again with a HUB_SECRET_KEY that leaves out secret.key’s key, it warns and says to keep both', async () => {
      const sink = logSink();
      const hub = await startTestHub(
        'embedded',
        { HUB_DATA_DIR: dataDir(), HUB_SECRET_KEY: key, LOG_LEVEL: 'warn' },
        { logDestination: sink.stream },
      );
      await hub.stop();
      const file = path.join(dataDir(), 'secret.key');
      const warning = sink.lines.find((l) => l.file === file);
      expect(warning).toMatchObject({ level: 40 });
      expect(String(warning!.msg)).toContain('HUB_SECRET_KEY does not list the key in');
      expect(String(warning!.msg)).toContain('Keep both keys in the ring');
      // The key itself is never logged.
      const fileKey = fs.readFileSync(file, 'utf8').trim();
      expect(JSON.stringify(sink.lines)).not.toContain(fileKey);
      expect(JSON.stringify(sink.lines)).not.toContain(key);
    }, 120_000);

    test('with both keys in the ring it starts without that warning', async () => {
      const fileKey = fs.readFileSync(path.join(dataDir(), 'secret.key'), 'utf8').trim();
      const sink = logSink();
      const hub = await startTestHub(
        'embedded',
        { HUB_DATA_DIR: dataDir(), HUB_SECRET_KEY: `${key},${fileKey}`, LOG_LEVEL: 'warn' },
        { logDestination: sink.stream },
      );
      await hub.stop();
      expect(sink.lines.filter((l) => String(l.msg).includes('HUB_SECRET_KEY does not list'))).toEqual([]);
    }, 120_000);
  });

  test('an existing directory open to others is tightened at start, and the start says so', async () => {
    const dataDir = path.join(root, 'loose');
    fs.mkdirSync(path.join(dataDir, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'notes', 'readme.txt'), 'operator notes\n');
    fs.chmodSync(path.join(dataDir, 'notes', 'readme.txt'), 0o666);
    fs.chmodSync(path.join(dataDir, 'notes'), 0o777);
    fs.chmodSync(dataDir, 0o755);
    expect(nobodyCanRead(path.join(dataDir, 'notes', 'readme.txt'))).not.toBe(false);

    const sink = logSink();
    const hub = await startTestHub('embedded', { HUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, { logDestination: sink.stream });
    try {
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dataDir, 'notes')).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dataDir, 'notes', 'readme.txt')).mode & 0o777).toBe(0o600);
      expect(openToOthers(dataDir)).toEqual([]);
      expect(nobodyCanRead(path.join(dataDir, 'notes', 'readme.txt'))).not.toBe(true);
    } finally {
      await hub.stop();
    }
    expect(sink.lines.find((l) => l.dir === dataDir)).toMatchObject({
      level: 40,
      entries: 3,
      msg: expect.stringContaining('open to other local users'),
    });
  }, 120_000);
});
