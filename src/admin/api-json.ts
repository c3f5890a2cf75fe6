import type { CountedTopic, SubscriptionView } from '../db/index.js';

/**
 * The admin API's JSON, field by field: the wire format `crier status`, `crier topics` and
 * `crier subscriptions` read. Written out rather than spread from the read model, so a column
 * added to a table (or a field the console shows) reaches the API only when added here.
 */

/** A subscription, with the algorithm its signatures go out with: its own choice, else the operator's default. */
export function subscriptionJson(sub: SubscriptionView, defaultAlgorithm: string) {
  return {
    id: sub.id,
    topicId: sub.topicId,
    topicUrl: sub.topicUrl,
    callback: sub.callback,
    hasSecret: sub.hasSecret,
    signatureAlgorithm: sub.signatureAlgorithm ?? defaultAlgorithm,
    format: sub.format,
    leaseSeconds: sub.leaseSeconds,
    expiresAt: sub.expiresAt,
    verifiedAt: sub.verifiedAt,
    lastDeliveryAt: sub.lastDeliveryAt,
    lastDeliveryStatus: sub.lastDeliveryStatus,
    lastDeliveryError: sub.lastDeliveryError,
    nextRetryAt: sub.nextRetryAt,
  };
}

/** A topic: its last fetch, its live subscription count and its poll schedule. */
export function topicJson(topic: CountedTopic) {
  return {
    id: topic.id,
    url: topic.url,
    contentType: topic.contentType,
    lastFetchAt: topic.lastFetchAt,
    lastFetchStatus: topic.lastFetchStatus,
    lastFetchError: topic.lastFetchError,
    parseError: topic.parseError,
    fetchRequestedAt: topic.fetchRequestedAt,
    subscriptions: topic.subscriptions,
    lastFetchSource: topic.lastFetchSource,
    nextPollAt: topic.poll.at,
    pollIntervalSeconds: topic.poll.intervalSeconds,
    pollReason: topic.poll.reason,
    pollFailures: topic.poll.failures,
    pingsSeen: topic.poll.pingsSeen,
    missedByPing: topic.poll.missedByPing,
  };
}
