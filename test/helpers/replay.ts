import crypto from 'node:crypto';

/**
 * The X-Hub-Signature a subscriber with `secret` sends with a replay request: HMAC-SHA256 of the body
 * exactly as TestHub.post serializes `fields` (URLSearchParams, in the order given).
 */
export function replaySignature(fields: Record<string, string>, secret: string): Record<string, string> {
  const body = new URLSearchParams(fields).toString();
  return { 'x-hub-signature': `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}` };
}
