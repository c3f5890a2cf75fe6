/**
 * How secrets are written where settings name them: the signature algorithms a subscriber may ask for
 * (HUB_SIGNATURE_ALGORITHM, `hub.signature_algorithm`, `crier listen`) and how a HUB_SECRET_KEY key is spelled. A leaf: it
 * imports nothing, so settings.ts can read them without loading the database or the workers.
 */

/** WebSub §7.1 names these four; sha1 only for subscribers that check nothing else. */
export const SIGNATURE_ALGORITHMS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** A key as written in HUB_SECRET_KEY: 64 hex digits, or base64 of 32 bytes. */
export function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  return key.length === 32 ? key : undefined;
}
