import fs from 'node:fs';
import path from 'node:path';
import { HubError, codes, type HubErrorCode } from '../../src/errors.js';

const ROOT = path.resolve(process.cwd());
const registry = Object.keys(codes) as HubErrorCode[];

describe('error code registry', () => {
  test('each code appears once in src/errors.ts', () => {
    const source = fs.readFileSync(path.join(ROOT, 'src/errors.ts'), 'utf8');
    const keys = [...source.matchAll(/^\s*(HUB_ERR_[A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(keys.length).toBe(registry.length);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('codes are named HUB_ERR_<AREA>_<WHAT> and carry a 4xx or 5xx status and a message', () => {
    for (const code of registry) {
      expect(code).toMatch(/^HUB_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      expect(codes[code].status).toBeGreaterThanOrEqual(400);
      expect(codes[code].status).toBeLessThan(600);
      expect(codes[code].message).toMatch(/^[^\n]+$/);
    }
  });

  test('each code key equals the code of the error built from it, with its status', () => {
    for (const code of registry) {
      const err = new HubError(code);
      expect(err.code).toBe(code);
      expect(err.statusCode).toBe(codes[code].status);
      expect(err.message).toBe(codes[code].message);
    }
  });

  test('each code is listed once in docs/errors.md with its status, and the page lists no other code', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
    for (const code of registry) {
      const rows = doc.split('\n').filter((line) => line.startsWith(`| \`${code}\` |`));
      expect([code, rows.length]).toEqual([code, 1]);
      expect(rows[0]).toContain(`| ${codes[code].status} |`);
    }
    const documented = [...doc.matchAll(/`(HUB_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]);
    expect(documented.filter((c) => !registry.includes(c as HubErrorCode))).toEqual([]);
  });

  test('every HUB_ERR_* code used in src/ is in the registry, and every registered code is used', () => {
    const used = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts') && full !== path.join(ROOT, 'src/errors.ts')) {
          for (const m of fs.readFileSync(full, 'utf8').matchAll(/HUB_ERR_[A-Z0-9_]+/g)) used.add(m[0]);
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    expect([...used].filter((c) => !registry.includes(c as HubErrorCode))).toEqual([]);
    expect(registry.filter((c) => !used.has(c))).toEqual([]);
  });
});

describe('HubError', () => {
  test('keeps the cause and details it was given', () => {
    const cause = new Error('socket hang up');
    const err = new HubError('HUB_ERR_DELIVERY_FAILED', 'POST https://sub.example/cb failed', { cause, details: { status: 502 } });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('HubError');
    expect(err.message).toBe('POST https://sub.example/cb failed');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ status: 502 });
  });
});
