export { createDatabase, withTransaction } from './pool.js';
export type { Database, Queryable } from './pool.js';
export { migrate, MIGRATIONS_DIR } from './migrate.js';
export { upsertTopic, requestFetches, findTopicForFetch, findTopicByUrl, recordFetch, listStaleFetchRequests } from './topics.js';
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
} from './subscriptions.js';
export type { Subscription, DeliveryTarget, DeliveryOutcome } from './subscriptions.js';
export { insertIntents, markIntentsEnqueued, findIntentsByIds, deleteIntent, deleteIntents, listUnqueuedIntents } from './intents.js';
export type { Intent, IntentMode } from './intents.js';
export { getContentOfNotification } from './contents.js';
export type { Content } from './contents.js';
export { extendNotificationClaim, findNotificationById, markNotificationEnqueued, listUnqueuedNotifications } from './notifications.js';
export type { Notification } from './notifications.js';
export { recordDeliveries, listDeliveriesForSubscription } from './deliveries.js';
export type { DeliveryRecord, DeliveryStatus } from './deliveries.js';
export { hitRateLimits, deleteOldRateLimits } from './rate-limits.js';
export { listAdminSubscriptions, findAdminSubscriptionById, listAdminTopics, findAdminTopicById, adminCounts } from './admin.js';
export type { AdminCounts, AdminSubscription, AdminTopic } from './admin.js';
export {
  recordFetchWithContent,
  recordFetchWithoutContent,
  loadSeenEntries,
  pruneSeenEntries,
  deleteStaleSeenEntries,
} from './fetch-results.js';
export type { FetchResult, NewContent } from './fetch-results.js';
