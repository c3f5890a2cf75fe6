export { createDatabase, withTransaction } from './pool.js';
export type { Database, Queryable } from './pool.js';
export { migrate, MIGRATIONS_DIR } from './migrate.js';
export { parseRowId } from './row-id.js';
export {
  upsertTopic,
  requestFetches,
  findTopicsForFetch,
  findTopicByUrl,
  findTopicIdsByUrls,
  recordFetch,
  listStaleFetchRequests,
} from './topics.js';
export type { Topic, FetchOutcome } from './topics.js';
export {
  findSubscriptionById,
  activateSubscriptionsFromIntents,
  deleteSubscription,
  deleteSubscriptionById,
  listDeliveryTargetsForNotification,
  recordDeliveryOutcomes,
  deleteExpiredSubscriptions,
  requestReconfirmations,
  findLiveSubscription,
  listPendingInitials,
  clearPendingInitial,
} from './subscriptions.js';
export type { Subscription, DeliveryTarget, DeliveryOutcome, AttemptCounts, PageOutcomes, PendingInitial } from './subscriptions.js';
export { createStatementBatches } from './statement-batches.js';
export type { StatementBatches } from './statement-batches.js';
export { insertIntents, markIntentsEnqueued, findIntentsByIds, deleteIntent, deleteIntents, listUnqueuedIntents } from './intents.js';
export type { Intent, IntentMode, DeliveryFormat } from './intents.js';
export { findContentOfNotification } from './contents.js';
export type { Content } from './contents.js';
export {
  extendNotificationClaim,
  findNotificationById,
  markNotificationEnqueued,
  listUnqueuedNotifications,
  listLatestNotificationIds,
  listRecentNotifications,
} from './notifications.js';
export type { Notification, RecentNotification } from './notifications.js';
export {
  recordDeliveries,
  listDeliveriesForSubscription,
  findDeliveryStatus,
  listDeliveryHistory,
  listDroppedDeliveries,
  markDroppedRetrying,
  listRetryingDeliveries,
} from './deliveries.js';
export { listPausedHosts, pauseHost, resumeHost, setTopicPaused, isSubscriptionHostPaused } from './pauses.js';
export type { DeliveryRecord, DeliveryStatus, DeliveryHistory, Attempt } from './deliveries.js';
export { hitRateLimits, refundRateLimit, deleteOldRateLimits } from './rate-limits.js';
export { claimReplay, deleteReplay, settleReplayedNotification, deleteOldReplays, REPLAY_WINDOW_MS } from './replays.js';
export type { ReplayClaim } from './replays.js';
export { recordConsoleSignOut, isConsoleSignedOut, deleteExpiredConsoleSignOuts } from './console-sign-outs.js';
export { listTopics, findCountedTopic, searchTopics } from './topic-reads.js';
export type { CountedTopic } from './topic-reads.js';
export { listSubscriptions, findSubscriptionView, searchSubscriptions } from './subscription-reads.js';
export type { SubscriptionView } from './subscription-reads.js';
export { statusCounts } from './status-counts.js';
export type { StatusCounts } from './status-counts.js';
export { deliveriesPerMinute, deleteOldDeliveryCounts } from './delivery-counts.js';
export type { MinuteCount } from './delivery-counts.js';
export {
  recordFetchesWithContent,
  recordFetchWithoutContent,
  loadSeenEntries,
  pruneSeenEntries,
  deleteStaleSeenEntries,
} from './fetch-results.js';
export type { FetchResult, NewContent, SeenEntryRow } from './fetch-results.js';
export { claimDueTopics } from './poll.js';
export type { PollRecord } from './poll.js';
export {
  readLatestUpdates,
  readLatestPage,
  readPageAfter,
  readRefsAfter,
  readUpdate,
  readUpdatesAfter,
  newestSeqs,
  pruneUpdateLog,
} from './update-log.js';
export type { LogEntry, LogPage, LogRef } from './update-log.js';
