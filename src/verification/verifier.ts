import crypto from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Logger } from '../log.js';
import {
  activateSubscriptionsFromIntents,
  deleteIntent,
  deleteIntents,
  deleteSubscription,
  findIntentsByIds,
  findTopicByUrl,
  withTransaction,
  type Intent,
} from '../db/index.js';
import { assertUrlAllowed, withQuery } from '../net/index.js';
import { HubError } from '../errors.js';
import { enqueueInitials } from '../queue/index.js';
import type { Verdict } from './verdict.js';

/**
 * Verification of intent (WebSub §5.3): GET the callback with a fresh
 * challenge; only a 2xx echoing it exactly changes state. A refusal ends the
 * intent; an unreachable callback is retried (by the verify job), then the
 * intent is dropped.
 *
 * The verifier: `check` decides one intent, `apply` writes the outcomes of a
 * set of verdicts in a few statements and returns the intents to retry; verify
 * jobs (src/workers/verify-intent.ts) run both, and `now` verifies one stored
 * intent at once and for good (no retry: PubSubHubbub 0.3's hub.verify=sync,
 * whose subscriber hears the outcome in the answer and retries itself).
 */
export interface Verifier {
  /** One intent's verdict (the GET, or the denial notice); writes nothing. */
  check: (intent: Intent) => Promise<Verdict>;
  /** Writes the outcomes of a set of verdicts; returns the intents to retry (none unless `mayRetry`). */
  apply: (intents: Intent[], verdicts: Verdict[], mayRetry: boolean) => Promise<Intent[]>;
  /** Verifies one stored intent at once and for good; undefined when it is gone. */
  now: (intentId: number) => Promise<Verdict | undefined>;
}

export function createVerifier(deps: Deps): Verifier {
  const log = deps.log.child({ module: 'verify' });

  async function check(intent: Intent): Promise<Verdict> {
    if (intent.mode === 'denied') {
      await notifyDenied(deps, log, intent.callback, intent.topicUrl, intent.reason ?? 'subscription refused');
      return { kind: 'denied' };
    }
    if (intent.mode === 'subscribe') {
      const refusal = topicRefusal(deps, intent.topicUrl);
      if (refusal !== undefined) {
        // WebSub §5.2 (H12): the hub may refuse a topic after accepting the request; it says so to
        // the callback, and a denied (topic, callback) keeps no subscription from before.
        await notifyDenied(deps, log, intent.callback, intent.topicUrl, refusal);
        await endSubscription(deps, intent);
        log.info({ callback: intent.callback, topic: intent.topicUrl, reason: refusal }, 'subscription denied: topic not allowed');
        return { kind: 'denied' };
      }
    }
    return challengeCallback(deps, intent);
  }

  /** Writes the outcomes of a set of verdicts; returns the intents to retry. */
  async function apply(intents: Intent[], verdicts: Verdict[], mayRetry: boolean): Promise<Intent[]> {
    const subscribed: number[] = [];
    const finished: number[] = [];
    const retry: Intent[] = [];
    for (const [i, intent] of intents.entries()) {
      const verdict = verdicts[i];
      deps.metrics.verification[verdict.kind].inc();
      const ctx = { intentId: intent.id, callback: intent.callback, topic: intent.topicUrl, mode: intent.mode };
      if (verdict.kind === 'confirmed' && intent.mode === 'subscribe') {
        subscribed.push(intent.id);
        log.info(ctx, 'subscription verified');
      } else if (verdict.kind === 'confirmed') {
        await endSubscription(deps, intent);
        log.info(ctx, 'unsubscription verified');
      } else if (verdict.kind === 'failed' && !verdict.permanent && mayRetry) {
        retry.push(intent);
        log.warn({ ...ctx, err: verdict.error }, 'verification failed; will retry');
      } else {
        finished.push(intent.id);
        if (verdict.kind === 'refused') log.info({ ...ctx, status: verdict.status }, 'verification refused by callback');
        if (verdict.kind === 'failed') log.warn({ ...ctx, err: verdict.error }, 'verification failed; intent dropped');
      }
    }
    const initials = await activateSubscriptionsFromIntents(deps.db.pool, subscribed, deps.config.pollMinSeconds);
    await deleteIntents(deps.db.pool, finished);
    // crier.initial: stored with the subscription by the activation, so a lost enqueue is the sweep's to repair.
    await enqueueInitials(deps.queues, initials, deps.config.maxAttempts).catch((err: unknown) =>
      log.warn({ err, subscriptions: initials.length }, 'initial deliveries not queued; the sweep queues them'),
    );
    return retry;
  }

  async function now(intentId: number): Promise<Verdict | undefined> {
    const intents = await findIntentsByIds(deps.db.pool, [intentId]);
    if (intents.length === 0) return undefined;
    const verdict = await check(intents[0]);
    await apply(intents, [verdict], false);
    return verdict;
  }

  return { check, apply, now };
}

/** The verification GET (§5.3): only a 2xx echoing the fresh challenge exactly confirms. */
async function challengeCallback(deps: Deps, intent: Intent): Promise<Verdict> {
  const challenge = crypto.randomBytes(24).toString('base64url');
  const url = withQuery(intent.callback, {
    'hub.mode': intent.mode,
    'hub.topic': intent.topicUrl,
    'hub.challenge': challenge,
    'hub.lease_seconds': intent.mode === 'subscribe' ? String(intent.leaseSeconds) : undefined,
    'hub.verify_token': intent.verifyToken ?? undefined,
  });
  try {
    const { status, body } = await deps.http.callbacks.get(url);
    if (status >= 200 && status < 300 && body === challenge) return { kind: 'confirmed' };
    if (status >= 500 || status === 429 || status === 408)
      return { kind: 'failed', permanent: false, error: `callback answered ${status}` };
    // A 2xx with the wrong body, a 404 or any other answer: the subscriber did not confirm (H14).
    return { kind: 'refused', status };
  } catch (err) {
    const permanent = err instanceof HubError && (err.code === 'HUB_ERR_ADDRESS_BLOCKED' || err.code === 'HUB_ERR_PORT_NOT_ALLOWED');
    // No HTTP answer at all (refused, reset, timed out): see UNANSWERED_ATTEMPTS.
    return { kind: 'failed', permanent, error: (err as Error).message, unanswered: true };
  }
}

/** Why the hub will not serve this topic, if it will not. */
function topicRefusal(deps: Deps, topicUrl: string): string | undefined {
  const allow = deps.config.topicAllow;
  if (allow && !allow.some((prefix) => topicUrl.startsWith(prefix))) return 'this hub does not serve that topic';
  try {
    assertUrlAllowed(topicUrl, deps.config);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Removes the (topic, callback) subscription, if any, and consumes the intent. */
async function endSubscription(deps: Deps, intent: Intent): Promise<void> {
  await withTransaction(deps.db.pool, async (tx) => {
    const topic = await findTopicByUrl(tx, intent.topicUrl);
    if (topic) await deleteSubscription(tx, topic.id, intent.callback);
    await deleteIntent(tx, intent.id);
  });
}

/** WebSub §5.2: tells the callback it was denied. Sent once: a notice that does not arrive is logged, not retried. */
async function notifyDenied(deps: Deps, log: Logger, callback: string, topic: string, reason: string): Promise<void> {
  const url = withQuery(callback, { 'hub.mode': 'denied', 'hub.topic': topic, 'hub.reason': reason });
  // `callback` is logged as origin and path (log.ts): its query string may carry the subscriber's credentials.
  await deps.http.callbacks.get(url).catch((err: unknown) => log.warn({ callback, topic, err }, 'denial notice not delivered'));
}
