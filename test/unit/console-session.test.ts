import type { Request, Response } from 'express';
import { createConsoleSession } from '../../src/admin/session.js';

const TOKEN = '833cf530e594e9d9b0bb7901ce0986cd';

/** The Set-Cookie a session start writes, through a minimal response. */
function started(publicUrl: string): { name: string; value: string; options: Record<string, unknown> } {
  let cookie: { name: string; value: string; options: Record<string, unknown> } | undefined;
  const res = { cookie: (name: string, value: string, options: Record<string, unknown>) => (cookie = { name, value, options }) };
  createConsoleSession(TOKEN, publicUrl).start(res as unknown as Response);
  return cookie!;
}

const request = (cookies: Record<string, string>) => ({ cookies }) as unknown as Request;

describe('console session cookie', () => {
  test('is HttpOnly, SameSite=Strict and scoped to the console path; Secure with a __Secure- name only when the public URL is https', () => {
    const plain = started('http://hub.example/');
    expect(plain.name).toBe('crier_console');
    expect(plain.options).toMatchObject({ httpOnly: true, sameSite: 'strict', secure: false, path: '/admin/ui' });
    const secure = started('https://hub.example/');
    expect(secure.name).toBe('__Secure-crier_console');
    expect(secure.options).toMatchObject({ httpOnly: true, sameSite: 'strict', secure: true, path: '/admin/ui' });
    expect(secure.value).not.toContain(TOKEN);
  });

  test('is accepted as issued, and refused when altered or signed under another token', () => {
    const { name, value } = started('http://hub.example/');
    const session = createConsoleSession(TOKEN, 'http://hub.example/');
    expect(session.current(request({ [name]: value }))).toBe(value);
    const [expiry, nonce, mac] = value.split('.');
    expect(session.current(request({ [name]: `${Number(expiry) + 1}.${nonce}.${mac}` }))).toBeUndefined();
    // The first character: the last of a base64url MAC carries padding bits, and it may already be the replacement.
    const altered = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    expect(session.current(request({ [name]: `${expiry}.${nonce}.${altered}` }))).toBeUndefined();
    expect(createConsoleSession(`${TOKEN}x`, 'http://hub.example/').current(request({ [name]: value }))).toBeUndefined();
    expect(session.current(request({}))).toBeUndefined();
  });

  test('compares the token whole', () => {
    const session = createConsoleSession(TOKEN, 'http://hub.example/');
    expect(session.tokenMatches(TOKEN)).toBe(true);
    expect(session.tokenMatches(TOKEN.slice(0, -1))).toBe(false);
    expect(session.tokenMatches('')).toBe(false);
  });
});
