import type { Job } from 'bullmq';
import type { Deps } from '../deps.js';
import {
  findTopicById,
  loadSeenEntries,
  markNotificationEnqueued,
  pruneSeenEntries,
  recordFetch,
  recordFetchWithContent,
  recordFetchWithoutContent,
} from '../db/index.js';
import { bodyHash, selectNewContent } from '../feeds/index.js';
import { HubError } from '../errors.js';
import { jobIds, type JobData } from './queues.js';

/** What a fetch decided to deliver, if anything. */
interface Delivery {
  /** Undefined when the feed carries nothing new. */
  body?: Buffer;
  contentType: string;
  newEntries: number;
  updatedEntries: number;
  entries: Array<{ key: string; contentHash: string }>;
  parseError: string | null;
}

/**
 * Fetches a topic (checklist H18), works out what is new and, if anything is,
 * stores it once and queues its fan-out. Unchanged content delivers nothing.
 */
export function fetchTopic(deps: Deps) {
  const log = deps.log.child({ module: 'fetch' });
  return async (job: Job<JobData['fetch']>): Promise<void> => {
    const topic = await findTopicById(deps.db.pool, job.data.topicId);
    if (!topic) return;
    const startedAt = new Date(Date.now() - 1);
    const ctx = { jobId: job.id, topicId: topic.id };

    // Read while the topic downloads: it is on the path from ping to delivery.
    const seenEntries = loadSeenEntries(deps.db.pool, topic.id);
    seenEntries.catch(() => undefined); // an early return leaves it unawaited
    let response;
    try {
      response = await deps.http.topics.fetchTopic(topic.url, { etag: topic.etag, lastModified: topic.lastModified });
    } catch (err) {
      const error = err as HubError;
      const status = (error.details?.status as number | undefined) ?? null;
      await recordFetch(deps.db.pool, topic.id, startedAt, { status, error: error.message });
      const permanent = error.code === 'HUB_ERR_ADDRESS_BLOCKED' || error.code === 'HUB_ERR_TOPIC_TOO_LARGE' || (status !== null && status >= 400 && status < 500 && status !== 429);
      log.warn({ ...ctx, err: error.message, permanent }, 'topic fetch failed');
      if (permanent) return;
      throw err;
    }
    if (response.status === 304 || !('body' in response)) {
      await recordFetch(deps.db.pool, topic.id, startedAt, { status: 304, error: null });
      log.debug(ctx, 'topic not modified');
      return;
    }
    const validators = { etag: response.etag, lastModified: response.lastModified };
    const hash = bodyHash(response.body);
    if (hash === topic.contentHash) {
      await recordFetch(deps.db.pool, topic.id, startedAt, { status: response.status, error: null, ...validators });
      log.debug(ctx, 'topic body unchanged');
      return;
    }

    const seen = await seenEntries;
    const selection = select(response.body, response.contentType, seen);
    const result = { topicId: topic.id, startedAt, status: response.status, ...validators, bodyHash: hash, contentType: response.contentType ?? null, parseError: selection.parseError, entries: selection.entries };
    if (seen.size + selection.newEntries > deps.config.seenEntriesMax) await pruneSeenEntries(deps.db.pool, topic.id, deps.config.seenEntriesMax);

    if (selection.body === undefined) {
      await recordFetchWithoutContent(deps.db.pool, result);
      log.debug(ctx, 'no new entries');
      return;
    }
    const body = selection.body;
    const notificationId = await recordFetchWithContent(deps.db.pool, result, {
      hash: bodyHash(body),
      contentType: selection.contentType,
      body,
      newEntries: selection.newEntries,
      updatedEntries: selection.updatedEntries,
    });
    await deps.queues.deliver.add('page', { kind: 'page', notificationId, afterId: 0 }, { jobId: jobIds.page(notificationId, 0) });
    await markNotificationEnqueued(deps.db.pool, notificationId);
    log.info({ ...ctx, notificationId, bytes: body.length, newEntries: selection.newEntries, updatedEntries: selection.updatedEntries }, 'new content queued for delivery');
  };
}

/** Feeds deliver only new and changed entries (WebSub §7 allows it); anything else goes whole. */
function select(body: Buffer, contentType: string | undefined, seen: ReadonlyMap<string, string>): Delivery {
  const whole = (parseError: string | null): Delivery => ({
    body,
    contentType: contentType ?? 'application/octet-stream',
    newEntries: 0,
    updatedEntries: 0,
    entries: [],
    parseError,
  });
  const { outcome, diff, rendered } = selectNewContent(body, contentType, seen);
  if (outcome.kind === 'plain') return whole(null);
  if (outcome.kind === 'unparseable') return whole(outcome.reason);
  const entries = outcome.doc.entries.map((e) => ({ key: e.key, contentHash: e.contentHash }));
  return {
    body: rendered?.body,
    contentType: rendered?.contentType ?? contentType ?? '',
    newEntries: diff?.newKeys.length ?? 0,
    updatedEntries: diff?.updatedKeys.length ?? 0,
    entries,
    parseError: null,
  };
}
