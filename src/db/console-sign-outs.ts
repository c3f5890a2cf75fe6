import type { Queryable } from './pool.js';

/** Sign-outs of console sessions, by the SHA-256 (hex) of the session cookie: the cookie itself is never stored. */

/** Remembers that a session ended, until its cookie would have expired. */
export async function recordConsoleSignOut(db: Queryable, sessionHash: string, expiresAt: Date): Promise<void> {
  await db.query(
    `
    insert into console_sign_outs (session_hash, expires_at) values ($1, $2)
    on conflict (session_hash) do nothing`,
    [sessionHash, expiresAt],
  );
}

export async function isConsoleSignedOut(db: Queryable, sessionHash: string): Promise<boolean> {
  const { rows } = await db.query(
    `
    select 1 from console_sign_outs where session_hash = $1`,
    [sessionHash],
  );
  return rows.length > 0;
}

/** A sign-out outlives its cookie by nothing: past its expiry the cookie is refused anyway. */
export async function deleteExpiredConsoleSignOuts(db: Queryable): Promise<void> {
  await db.query(`delete from console_sign_outs where expires_at < now()`);
}
