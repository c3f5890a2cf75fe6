import crypto from 'node:crypto';

export type SignatureAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** WebSub §7.1: `X-Hub-Signature: <alg>=<hex HMAC of the exact body>`. */
export function sign(body: Buffer, secret: string, algorithm: SignatureAlgorithm = 'sha256'): string {
  return `${algorithm}=${crypto.createHmac(algorithm, secret).update(body).digest('hex')}`;
}
