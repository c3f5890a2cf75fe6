import crypto from 'node:crypto';

/** WebSub §7.1 names these four; sha1 only for subscribers that check nothing else. */
export const SIGNATURE_ALGORITHMS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** WebSub §7.1: `X-Hub-Signature: <alg>=<hex HMAC of the exact body>`. */
export function sign(body: Buffer, secret: string, algorithm: SignatureAlgorithm = 'sha256'): string {
  return `${algorithm}=${crypto.createHmac(algorithm, secret).update(body).digest('hex')}`;
}
