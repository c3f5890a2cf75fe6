import crypto from 'node:crypto';
import type { Request, Response } from 'express';

/** How long a console sign-in lasts. */
const SESSION_MS = 12 * 60 * 60 * 1000;

export interface ConsoleSession {
  /** The cookie's name: `__Secure-` prefixed on https, so only a secure page can set it. */
  cookieName: string;
  secure: boolean;
  /** True when the token is HUB_ADMIN_TOKEN (compared in constant time). */
  tokenMatches(given: string): boolean;
  /** Sets a fresh session cookie. */
  start(res: Response): void;
  end(res: Response): void;
  /** The request's valid session cookie, or undefined (a signed-out one included: the caller checks the database). */
  current(req: Request): string | undefined;
  /** When a cookie `current` accepted stops being valid, so a record of its sign-out need not outlive it. */
  expiresAt(cookie: string): Date;
  /** A key derived from the admin token for another purpose (CSRF). */
  derive(purpose: string): string;
}

/**
 * Sessions: the cookie is `expiry.nonce.mac`, the mac keyed by a key
 * derived from HUB_ADMIN_TOKEN, so changing the token signs everybody out and
 * nothing is stored at sign-in; only a sign-out is (console.ts, console_sign_outs).
 * The cookie is HttpOnly and SameSite=Strict, Secure on https, sent only under `path`.
 */
export function createConsoleSession(adminToken: string, publicUrl: string, path = '/admin/ui'): ConsoleSession {
  const secure = new URL(publicUrl).protocol === 'https:';
  // Scoped to the console's path (issue 20, item 1): `__Host-` would demand Path=/, so `__Secure-` it is.
  const cookieName = secure ? '__Secure-crier_console' : 'crier_console';
  const derive = (purpose: string) => crypto.createHmac('sha256', adminToken).update(`crier console ${purpose}`).digest('hex');
  const key = derive('session');
  const mac = (payload: string) => crypto.createHmac('sha256', key).update(payload).digest('base64url');
  const digest = (text: string) => crypto.createHash('sha256').update(text).digest();
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure, path };

  return {
    cookieName,
    secure,
    tokenMatches: (given) => crypto.timingSafeEqual(digest(given), digest(adminToken)),
    start(res) {
      const payload = `${Date.now() + SESSION_MS}.${crypto.randomBytes(16).toString('base64url')}`;
      res.cookie(cookieName, `${payload}.${mac(payload)}`, { ...cookieOptions, maxAge: SESSION_MS });
    },
    end(res) {
      res.clearCookie(cookieName, cookieOptions);
    },
    current(req) {
      const value: unknown = req.cookies?.[cookieName];
      if (typeof value !== 'string') return undefined;
      const match = /^(\d{1,15})\.([\w-]{22})\.([\w-]{43})$/.exec(value);
      if (!match) return undefined;
      const payload = `${match[1]}.${match[2]}`;
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(match[3]);
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
      return Number(match[1]) > Date.now() ? value : undefined;
    },
    expiresAt: (cookie) => new Date(Number(cookie.split('.', 1)[0])),
    derive,
  };
}
