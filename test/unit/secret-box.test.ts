import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox, embeddedKey } from '../../src/db/secret-box.js';

describe('subscriber secrets at rest', () => {
  const keyA = crypto.randomBytes(32);
  const keyB = crypto.randomBytes(32);

  test('a sealed secret does not contain the secret and opens to it; each seal differs', () => {
    const box = createSecretBox([keyA]);
    const sealed = box.seal('shh-its-a-secret')!;
    expect(sealed).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain('shh');
    expect(box.seal('shh-its-a-secret')).not.toBe(sealed);
    expect(box.open(sealed)).toBe('shh-its-a-secret');
    expect(Buffer.byteLength(createSecretBox([keyA]).seal('x'.repeat(199))!)).toBeLessThan(400);
  });

  test('rotation: the new key seals, the old one still opens what it sealed', () => {
    const old = createSecretBox([keyA]).seal('before')!;
    const rotated = createSecretBox([keyB, keyA]);
    expect(rotated.open(old)).toBe('before');
    expect(createSecretBox([keyB]).open(rotated.seal('after')!)).toBe('after');
    expect(() => createSecretBox([keyB]).open(old)).toThrow(expect.objectContaining({ code: 'HUB_ERR_SECRET_KEY_MISSING' }));
  });

  test('an altered value is refused, and plaintext stored before encryption opens as it is', () => {
    const box = createSecretBox([keyA]);
    const sealed = box.seal('secret')!;
    const altered = `${sealed.slice(0, -4)}${sealed.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect(() => box.open(altered)).toThrow(expect.objectContaining({ code: 'HUB_ERR_SECRET_KEY_MISSING' }));
    expect(box.open('legacy-plain')).toBe('legacy-plain');
    expect(createSecretBox([]).seal('plain')).toBe('plain');
  });

  test('the embedded key file is made once, readable by its owner only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crier-key-'));
    try {
      const first = embeddedKey(path.join(dir, 'data'));
      expect(embeddedKey(path.join(dir, 'data')).equals(first)).toBe(true);
      expect(fs.statSync(path.join(dir, 'data', 'secret.key')).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
