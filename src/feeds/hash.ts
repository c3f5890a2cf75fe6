import * as crypto from 'node:crypto';

/** `crypto.hash` (Node >= 20.12) where there is one; package.json allows any Node 20. */
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/**
 * sha256 hex of a string's UTF-8 bytes or of raw bytes. The one-shot
 * `crypto.hash` skips the Hash object `createHash` builds: about 3x faster
 * on the short inputs hashed here (one per entry and field).
 */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}
