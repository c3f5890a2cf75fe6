import type { Deps } from '../deps.js';
import { insertIntents, markIntentsEnqueued, type Intent } from '../db/index.js';
import { HubError } from '../errors.js';
import { assertUrlAllowed } from '../net/index.js';
import { jobIds } from '../queue/index.js';
import type { Verdict } from '../verification/index.js';
import type { HubRequest } from './params.js';

type SubscriptionRequest = Extract<HubRequest, { mode: 'subscribe' | 'unsubscribe' }>;

/** How a subscription request was answered: 202 accepted (verification follows) or 204 verified (hub.verify=sync). */
export type SubscriptionAnswer = 'accepted' | 'verified';

/**
 * Stores the request, then queues its verification (WebSub §5.1.2, H8): the
 * 202 means it is stored. A lost enqueue is repaired by the sweep. A
 * PubSubHubbub 0.3 client asking hub.verify=sync is verified before the
 * answer (H26): 204 when confirmed, 409 with the reason when not, and 202 as
 * usual when its callback takes longer than HUB_SYNC_VERIFY_TIMEOUT_MS.
 */
export async function requestSubscription(
  deps: Deps,
  request: SubscriptionRequest,
  verifyNow: (intentId: number) => Promise<Verdict | undefined>,
): Promise<SubscriptionAnswer> {
  // A callback the hub may never call is refused now rather than silently dropped (H27).
  assertUrlAllowed(request.callback, deps.config);
  const intent: Omit<Intent, 'id'> = {
    topicUrl: request.topic,
    callback: request.callback,
    mode: request.mode,
    secret: deps.secrets.seal(request.secret ?? null),
    leaseSeconds: request.leaseSeconds ?? null,
    verifyToken: request.verifyToken ?? null,
    reason: null,
    signatureAlgorithm: request.signatureAlgorithm ?? null,
    format: request.format ?? null,
    // Kept with the intent, so a restart between this request and its verification keeps it.
    initialCount: request.initial > 0 ? request.initial : null,
  };
  if (request.verify === 'async') {
    await deps.verifications.submit(intent);
    return 'accepted';
  }
  // Stored first, unqueued: if this process dies meanwhile, the sweep verifies it asynchronously.
  const [intentId] = await insertIntents(deps.db.pool, [intent]);
  const verifying = verifyNow(intentId);
  const verdict = await withinBound(verifying, deps.config.syncVerifyTimeoutMs);
  if (verdict === 'late') {
    verifying.catch((err: unknown) => deps.log.warn({ module: 'verify', intentId, err }, 'late sync verification failed'));
    // Too slow to answer in time: verified asynchronously like any other request.
    await deps.queues.verify.add('verify', { intentId }, { jobId: jobIds.verify(intentId) });
    await markIntentsEnqueued(deps.db.pool, [intentId]);
    return 'accepted';
  }
  if (verdict === undefined) return 'accepted'; // taken up elsewhere meanwhile (the sweep): it goes on as usual
  if (verdict.kind === 'confirmed') return 'verified';
  throw new HubError('HUB_ERR_VERIFY_REFUSED', `verification of intent failed: ${describe(verdict)}`);
}

function describe(verdict: Exclude<Verdict, { kind: 'confirmed' }>): string {
  switch (verdict.kind) {
    case 'refused':
      return verdict.status >= 200 && verdict.status < 300
        ? 'the callback did not echo hub.challenge'
        : `the callback answered ${verdict.status}`;
    case 'failed':
      return verdict.error;
    case 'denied':
      return 'the hub does not serve that topic';
  }
}

async function withinBound<T>(work: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
