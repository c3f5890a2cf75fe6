import crypto from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Subscription } from '../db/index.js';
import { HubError } from '../errors.js';
import { sign, withQuery } from '../net/index.js';

/** What a replay request brings to prove it comes from the subscriber. */
export interface ReplayEvidence {
  /** The exact bytes of the request body (the HMAC covers them). */
  body: Buffer;
  /** Its X-Hub-Signature header, if any. */
  signature: string | undefined;
}

const SIGNATURE_FORM = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * A replay makes the hub POST to a callback again, so only its subscriber may
 * ask for one. A subscription with a secret proves it by signing the request
 * body as the hub signs deliveries, with sha256; one without is asked, as for
 * a subscription (WebSub §5.3), by a GET with hub.mode=replay and a challenge
 * its callback must echo with a 2xx. That check runs inside the request, bound
 * by HUB_SYNC_VERIFY_TIMEOUT_MS, so the requester hears the outcome and the hub
 * keeps no state for a request it refuses. Throws HUB_ERR_REPLAY_UNPROVEN.
 */
export async function proveReplay(deps: Deps, sub: Subscription, topicUrl: string, evidence: ReplayEvidence): Promise<void> {
  if (sub.secret !== null) return checkSignature(deps.secrets.open(sub.secret), evidence);
  await confirmWithCallback(deps, sub.callback, topicUrl);
}

function checkSignature(secret: string, { body, signature }: ReplayEvidence): void {
  if (signature === undefined)
    throw new HubError(
      'HUB_ERR_REPLAY_UNPROVEN',
      'this subscription has a secret: sign the replay request body with it (X-Hub-Signature: sha256=<hex HMAC-SHA256>)',
    );
  const given = SIGNATURE_FORM.exec(signature.trim());
  if (!given) throw new HubError('HUB_ERR_REPLAY_UNPROVEN', 'X-Hub-Signature of a replay must be sha256=<64 hex digits>');
  const expected = Buffer.from(sign(body, secret, 'sha256').slice('sha256='.length), 'hex');
  // Both are 32 bytes (the form above), as timingSafeEqual needs.
  if (!crypto.timingSafeEqual(Buffer.from(given[1], 'hex'), expected))
    throw new HubError(
      'HUB_ERR_REPLAY_UNPROVEN',
      "X-Hub-Signature is not the HMAC-SHA256 of the request body with the subscription's secret",
    );
}

async function confirmWithCallback(deps: Deps, callback: string, topicUrl: string): Promise<void> {
  const challenge = crypto.randomBytes(24).toString('base64url');
  const url = withQuery(callback, { 'hub.mode': 'replay', 'hub.topic': topicUrl, 'hub.challenge': challenge });
  const asking = deps.http.callbacks.get(url);
  const limitMs = deps.config.syncVerifyTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), limitMs)));
  let answer: Awaited<typeof asking> | 'late' | Error;
  try {
    answer = await Promise.race([asking, late]).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  } finally {
    clearTimeout(timer);
  }
  // A late answer changes nothing: the request was refused.
  if (answer === 'late') asking.catch(() => undefined);
  const ctx = { module: 'replay', callback: new URL(callback).origin };
  if (answer !== 'late' && !(answer instanceof Error) && answer.status >= 200 && answer.status < 300 && answer.body === challenge) return;
  const why =
    answer === 'late'
      ? `did not answer within ${limitMs} ms`
      : answer instanceof Error
        ? `could not be reached (${answer.message.replace(/\s+/g, ' ').slice(0, 160)})`
        : answer.status >= 200 && answer.status < 300
          ? 'did not echo hub.challenge'
          : `answered ${answer.status}`;
  deps.log.info({ ...ctx, reason: why }, 'replay not confirmed by callback');
  throw new HubError('HUB_ERR_REPLAY_UNPROVEN', `the subscription has no secret and its callback ${why} to hub.mode=replay`);
}
