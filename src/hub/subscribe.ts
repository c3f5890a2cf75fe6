import type { Deps } from '../deps.js';
import { assertUrlAllowed } from '../net/index.js';
import type { HubRequest } from './params.js';

type SubscriptionRequest = Extract<HubRequest, { mode: 'subscribe' | 'unsubscribe' }>;

/**
 * Stores the request, then queues its verification (WebSub §5.1.2, H8): the
 * 202 means it is stored. A lost enqueue is repaired by the sweep.
 */
export async function requestSubscription(deps: Deps, request: SubscriptionRequest): Promise<void> {
  // A callback the hub may never call is refused now rather than silently dropped (H27).
  assertUrlAllowed(request.callback, deps.config);
  await deps.verifications.submit({
    topicUrl: request.topic,
    callback: request.callback,
    mode: request.mode,
    secret: deps.secrets.seal(request.secret ?? null),
    leaseSeconds: request.leaseSeconds ?? null,
    verifyToken: request.verifyToken ?? null,
    reason: null,
    signatureAlgorithm: request.signatureAlgorithm ?? null,
  });
}
