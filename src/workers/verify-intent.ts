import crypto from 'node:crypto';
import type { Job } from 'bullmq';
import type { Deps } from '../deps.js';
import { activateSubscriptionFromIntent, deleteIntent, deleteSubscription, findIntentById, findTopicByUrl, upsertTopic, withTransaction } from '../db/index.js';
import { assertUrlAllowed } from '../net/index.js';
import { HubError } from '../errors.js';
import { withQuery } from './callback-url.js';
import type { JobData } from './queues.js';

/**
 * Verification of intent (WebSub §5.3): GET the callback with a fresh
 * challenge; only a 2xx echoing it exactly changes state. A refusal ends the
 * intent; an unreachable callback is retried, then the intent is dropped.
 */
export function verifyIntent(deps: Deps) {
  const log = deps.log.child({ module: 'verify' });
  return async (job: Job<JobData['verify']>): Promise<void> => {
    const intent = await findIntentById(deps.db.pool, job.data.intentId);
    if (!intent) return;
    const ctx = { jobId: job.id, callback: intent.callback, topic: intent.topicUrl, mode: intent.mode };

    if (intent.mode === 'denied') {
      await notifyDenied(deps, intent.callback, intent.topicUrl, intent.reason ?? 'subscription refused');
      await deleteIntent(deps.db.pool, intent.id);
      log.info(ctx, 'subscription denied');
      return;
    }
    if (intent.mode === 'subscribe') {
      // WebSub §5.2 (H12): the hub may refuse a topic after accepting the request; it says so to
      // the callback, and a denied (topic, callback) keeps no subscription from before.
      let refusal: string | undefined;
      const allow = deps.config.topicAllow;
      if (allow && !allow.some((prefix) => intent.topicUrl.startsWith(prefix))) refusal = 'this hub does not serve that topic';
      try {
        assertUrlAllowed(intent.topicUrl, deps.config.allowPrivateNetworks);
      } catch (err) {
        refusal ??= (err as Error).message;
      }
      if (refusal !== undefined) {
        await notifyDenied(deps, intent.callback, intent.topicUrl, refusal);
        await withTransaction(deps.db.pool, async (tx) => {
          const topic = await findTopicByUrl(tx, intent.topicUrl);
          if (topic) await deleteSubscription(tx, topic.id, intent.callback);
          await deleteIntent(tx, intent.id);
        });
        log.info({ ...ctx, reason: refusal }, 'subscription denied: topic not allowed');
        return;
      }
    }

    const challenge = crypto.randomBytes(24).toString('base64url');
    const url = withQuery(intent.callback, {
      'hub.mode': intent.mode,
      'hub.topic': intent.topicUrl,
      'hub.challenge': challenge,
      'hub.lease_seconds': intent.mode === 'subscribe' ? String(intent.leaseSeconds) : undefined,
      'hub.verify_token': intent.verifyToken ?? undefined,
    });
    let status: number;
    let body: string;
    try {
      ({ status, body } = await deps.http.callbacks.get(url));
    } catch (err) {
      const permanent = err instanceof HubError && err.code === 'HUB_ERR_ADDRESS_BLOCKED';
      return giveUpOrRetry(deps, job, intent.id, permanent, err as Error, ctx, log);
    }
    if (status >= 200 && status < 300 && body === challenge) {
      if (intent.mode === 'subscribe') {
        const topicId = await upsertTopic(deps.db.pool, intent.topicUrl);
        await activateSubscriptionFromIntent(deps.db.pool, intent.id, topicId);
      } else {
        await withTransaction(deps.db.pool, async (tx) => {
          const topic = await findTopicByUrl(tx, intent.topicUrl);
          if (topic) await deleteSubscription(tx, topic.id, intent.callback);
          await deleteIntent(tx, intent.id);
        });
      }
      log.info(ctx, intent.mode === 'subscribe' ? 'subscription verified' : 'unsubscription verified');
      return;
    }
    if (status >= 500 || status === 429 || status === 408) {
      return giveUpOrRetry(deps, job, intent.id, false, new Error(`callback answered ${status}`), ctx, log);
    }
    // A 2xx with the wrong body, a 404 or any other answer: the subscriber did not confirm (H14).
    await deleteIntent(deps.db.pool, intent.id);
    log.info({ ...ctx, status }, 'verification refused by callback');
  };
}

async function giveUpOrRetry(
  deps: Deps,
  job: Job,
  intentId: number,
  permanent: boolean,
  err: Error,
  ctx: object,
  log: Deps['log'],
): Promise<void> {
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (permanent || lastAttempt) {
    await deleteIntent(deps.db.pool, intentId);
    log.warn({ ...ctx, err: err.message }, 'verification failed; intent dropped');
    return;
  }
  log.warn({ ...ctx, err: err.message, attempt: job.attemptsMade + 1 }, 'verification failed; will retry');
  throw err;
}

async function notifyDenied(deps: Deps, callback: string, topic: string, reason: string): Promise<void> {
  const url = withQuery(callback, { 'hub.mode': 'denied', 'hub.topic': topic, 'hub.reason': reason });
  await deps.http.callbacks.get(url).catch(() => undefined);
}
