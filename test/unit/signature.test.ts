import crypto from 'node:crypto';
import { sign } from '../../src/net/signature.js';

// RFC 2202 / RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
const JEFE = { key: 'Jefe', data: Buffer.from('what do ya want for nothing?') };

describe('sign', () => {
  test.each([
    ['sha1', 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
    ['sha256', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['sha384', 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649'],
    [
      'sha512',
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    ],
  ] as const)('H24: %s gives "<alg>=<hex HMAC>" matching the RFC test vector', (algorithm, hex) => {
    expect(sign(JEFE.data, JEFE.key, algorithm)).toBe(`${algorithm}=${hex}`);
  });

  test('H24: the well-known "quick brown fox" vectors for sha1 and sha256', () => {
    const body = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(sign(body, 'key', 'sha1')).toBe('sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9');
    expect(sign(body, 'key', 'sha256')).toBe('sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });

  test('H25: sha256 is the default algorithm', () => {
    expect(sign(JEFE.data, JEFE.key)).toBe(sign(JEFE.data, JEFE.key, 'sha256'));
  });

  test('H24: the exact bytes are signed, including bytes that are not valid UTF-8', () => {
    const body = Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x00, 0x3e]);
    const expected = crypto.createHmac('sha256', Buffer.from('s3cret')).update(body).digest('hex');
    expect(sign(body, 's3cret')).toBe(`sha256=${expected}`);
    expect(sign(body, 's3cret')).not.toBe(sign(Buffer.from(body.toString('utf8')), 's3cret'));
  });

  test('H2 H24: a non-ASCII secret is used as its UTF-8 bytes', () => {
    const secret = 'clé-秘密';
    const expected = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(JEFE.data).digest('hex');
    expect(sign(JEFE.data, secret)).toBe(`sha256=${expected}`);
  });

  test('an empty body still gets a signature', () => {
    expect(sign(Buffer.alloc(0), 'key', 'sha256')).toBe('sha256=5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0');
  });
});
