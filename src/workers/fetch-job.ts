import { DelayedError, type Job } from 'bullmq';
import type { Deps } from '../deps.js';
import { pruneSeenEntries, recordFetch, recordFetchWithoutContent } from '../db/index.js';
import type { PollRecord, StatementBatches, Topic } from '../db/index.js';
import { bodyHash, prepareSelectionAsync, type SeenRecord, type Selection } from '../feeds/index.js';
import { HubError } from '../errors.js';
import { type FetchOutcome } from '../metrics/index.js';
import { createFetchGate } from './fetch-gate.js';
import type { FirstPageHandOver } from './hand-over.js';
import { nextPollAt, nextPollInterval, type FetchOutcomeForPoll, type FetchSource, type PollReason } from './poll-interval.js';
import type { JobData } from '../queue/index.js';

/** Longest a fetch waits in its job for a busy target's slot before it goes back to the queue. */
const BUSY_WAIT_MS = 250;

/** What a fetch decided to deliver, if anything. */
interface Delivery {
  /** Undefined when the feed carries nothing new. */
  body?: Buffer;
  contentType: string;
  newEntries: number;
  updatedEntries: number;
  /** Keys of the delivered entries that are changed versions of earlier ones. */
  updatedKeys: string[];
  /** For each of `updatedKeys`, what changed (title, content, link, dates, other). */
  updatedFields: string[];
  entries: SeenRecord[];
  parseError: string | null;
  /** The feed's refresh hint (RSS ttl, sy:updatePeriod), when it is a feed that gives one. */
  refreshSeconds?: number;
}

/**
 * Fetches a topic (H18), works out what is new and, if anything is,
 * stores it once and fans it out: the first page right here (hand-over.ts),
 * the rest queued. Unchanged content delivers nothing.
 */
export function fetchJob(deps: Deps, handOver: FirstPageHandOver, batches: StatementBatches) {
  const log = deps.log.child({ module: 'fetch' });
  const { config } = deps;
  const gate = createFetchGate({
    perTarget: config.fetchPerHost,
    minIntervalMs: config.fetchMinIntervalSeconds * 1000,
    circuit: { minAttempts: config.circuitMinAttempts, cooldownMs: config.circuitCooldownMs, maxCooldownMs: 5 * 60 * 1000 },
    poll: { perTarget: config.pollPerHost, spacingMs: config.pollHostSpacingMs },
  });
  const bounds = { minSeconds: config.pollMinSeconds, maxSeconds: config.pollMaxSeconds };

  /** The topic's next poll after this fetch (workers/poll-interval.ts); `feedRefreshSeconds` when the feed was parsed. */
  function schedule(
    topic: Topic,
    source: FetchSource,
    result: FetchOutcomeForPoll['result'],
    hints: FetchOutcomeForPoll['hints'],
    feedRefreshSeconds?: number | null,
  ): PollRecord {
    const now = new Date();
    const { poll } = topic;
    const state = {
      intervalSeconds: poll.intervalSeconds,
      reason: poll.reason as PollReason | null,
      failures: poll.failures,
      lastChangeAt: poll.lastChangeAt,
    };
    const feedRefresh = feedRefreshSeconds === undefined ? poll.feedRefreshSeconds : feedRefreshSeconds;
    const decision = nextPollInterval(
      state,
      { source, result, hints: { ...hints, feedRefreshSeconds: feedRefresh ?? undefined }, pinged: poll.pingsSeen > 0 },
      bounds,
      now,
    );
    if (decision.reason === 'failing' && state.reason !== 'failing')
      log.warn({ topicId: topic.id, failures: decision.failures }, 'topic keeps failing; polled at the longest interval from now on');
    if (decision.missedByPing) log.info({ topicId: topic.id }, 'a poll found content no ping announced');
    return {
      source,
      intervalSeconds: decision.intervalSeconds,
      reason: decision.reason,
      failures: decision.failures,
      missedByPing: decision.missedByPing,
      changed: result === 'changed',
      nextPollAt: nextPollAt(now, decision.intervalSeconds),
      feedRefreshSeconds,
    };
  }

  const { metrics } = deps;
  metrics.watchCircuits('topic', () => gate.openCircuits());
  return async (job: Job<JobData['fetch']>, token?: string): Promise<void> => {
    const found = await batches.topicForFetch(job.data.topicId);
    if (!found) return;
    const { topic, seenCount } = found;
    // A pending ping mark makes this a ping's fetch (a poll merged into it too); else the schedule's.
    const source: FetchSource = topic.fetchRequestedAt ? 'ping' : topic.lastFetchAt === null ? 'subscribe' : 'poll';
    const ctx = { jobId: job.id, topicId: topic.id, source };
    if (topic.pausedAt) {
      // Paused by an operator: the ping's fetch mark stays, and the resume queues the fetch.
      log.debug(ctx, 'topic paused; fetch skipped');
      return;
    }
    let admission = gate.admit(topic.url, topic.lastFetchAt, source !== 'ping');
    // A burst of quick fetches to one target frees its slots in moments: waiting here is far cheaper than a trip
    // through the queue's delayed set, which on the embedded database held a many-topics run to 17 fetches/s.
    if (!admission.go && admission.busy && (await gate.waitForSlot(topic.url, BUSY_WAIT_MS))) {
      admission = gate.admit(topic.url, topic.lastFetchAt, source !== 'ping');
    }
    if (!admission.go) {
      // Back in the queue without spending an attempt; pings meanwhile coalesce into this job.
      log.debug({ ...ctx, reason: admission.reason, retryAt: new Date(admission.retryAt).toISOString() }, 'fetch postponed');
      await job.moveToDelayed(admission.retryAt, token);
      throw new DelayedError();
    }
    const startedAt = new Date(Date.now() - 1);
    const counted = (outcome: FetchOutcome) => metrics.fetches.inc({ source, outcome });

    let response;
    const began = performance.now();
    try {
      response = await deps.http.topics.fetchTopic(topic.url, { etag: topic.etag, lastModified: topic.lastModified });
      admission.pass.release(true);
    } catch (err) {
      metrics.fetchDuration.observe({ source }, (performance.now() - began) / 1000);
      // The fetcher turns every network, HTTP and size failure into a HubError: anything else is a bug of
      // ours, not the topic's failure. The job fails (and is retried); the topic's record is left alone.
      if (!(err instanceof HubError)) {
        admission.pass.release(true);
        log.error({ ...ctx, err }, 'fetch job failed');
        throw err;
      }
      counted('failed');
      const error = err;
      const status = (error.details?.status as number | undefined) ?? null;
      admission.pass.release(serverBehaved(error.code, status));
      const retryAfterSeconds = error.details?.retryAfter as number | undefined;
      const poll = schedule(topic, source, 'failed', { retryAfterSeconds });
      const permanent =
        error.code === 'HUB_ERR_ADDRESS_BLOCKED' ||
        error.code === 'HUB_ERR_TOPIC_TOO_LARGE' ||
        (status !== null && status >= 400 && status < 500 && status !== 429);
      // A poll is not retried here: its schedule backs off instead (and honours Retry-After).
      const retried = !permanent && source === 'ping' && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      // A ping's fetch to be tried again keeps the ping's mark, so the retry is still the ping's (and is retried in turn).
      const servedUpTo = retried ? new Date(0) : startedAt;
      await recordFetch(deps.db.pool, topic.id, servedUpTo, { status, error: error.message }, poll);
      log.warn({ ...ctx, err, permanent }, 'topic fetch failed');
      if (!retried) return;
      throw err;
    }
    metrics.fetchDuration.observe({ source }, (performance.now() - began) / 1000);
    if (response.status === 304 || !('body' in response)) {
      counted('not_modified');
      const poll = schedule(topic, source, 'unchanged', { freshSeconds: response.freshSeconds });
      await recordFetch(deps.db.pool, topic.id, startedAt, { status: 304, error: null }, poll);
      log.debug(ctx, 'topic not modified');
      return;
    }
    const validators = { etag: response.etag, lastModified: response.lastModified };
    const hash = bodyHash(response.body);
    if (hash === topic.contentHash) {
      counted('unchanged');
      const poll = schedule(topic, source, 'unchanged', { freshSeconds: response.freshSeconds });
      await recordFetch(deps.db.pool, topic.id, startedAt, { status: response.status, error: null, ...validators }, poll);
      log.debug(ctx, 'topic body unchanged');
      return;
    }

    // Parsed first, so only the history of the entries this document carries is read.
    const prepared = await prepareSelectionAsync(response.body, response.contentType, deps.config.parseBudgetMs, config.updateIgnore);
    const selection = select(
      prepared.select(await batches.seenEntries({ topicId: topic.id, keys: prepared.keys })),
      response.body,
      response.contentType,
    );
    const hints = { freshSeconds: response.freshSeconds };
    const changed = selection.body !== undefined ? 'changed' : 'unchanged';
    const result = {
      poll: schedule(topic, source, changed, hints, selection.refreshSeconds ?? null),
      topicId: topic.id,
      startedAt,
      status: response.status,
      ...validators,
      bodyHash: hash,
      contentType: response.contentType ?? null,
      parseError: selection.parseError,
      entries: selection.entries,
    };
    const max = deps.config.seenEntriesMax;
    if (seenCount + selection.newEntries > max) await pruneSeenEntries(deps.db.pool, topic.id, max, prepared.keys);

    if (selection.body === undefined) {
      counted('unchanged');
      await recordFetchWithoutContent(deps.db.pool, result);
      log.debug(ctx, 'no new entries');
      return;
    }
    const content = { hash: bodyHash(selection.body), contentType: selection.contentType, body: selection.body };
    const counts = { newEntries: selection.newEntries, updatedEntries: selection.updatedEntries };
    const { notificationId, firstPage } = await batches.storeContent({
      result,
      content: {
        ...content,
        ...counts,
        updatedKeys: selection.updatedKeys,
        updatedFields: selection.updatedFields,
        claimSeconds: handOver.claimSeconds,
      },
    });
    counted('new_content');
    metrics.notifications.inc();
    metrics.entries.inc({ kind: 'new' }, counts.newEntries);
    metrics.entries.inc({ kind: 'updated' }, counts.updatedEntries);
    // Which fields each updated entry changed, so the log says why subscribers got it again.
    const changes = selection.updatedKeys.length ? changesOf(selection) : undefined;
    log.info({ ...ctx, notificationId, bytes: content.body.length, ...counts, changes }, 'new content stored for delivery');
    // Streams and long-polls hear of it now, while the callbacks' first page goes out.
    void deps.announcer.announce({ seq: notificationId, topicId: topic.id });
    await handOver.deliver(
      {
        id: notificationId,
        topicId: topic.id,
        topicUrl: topic.url,
        contentHash: content.hash,
        ...counts,
        updatedKeys: selection.updatedKeys,
      },
      content,
      firstPage,
    );
  };
}

/** Feeds deliver only new and changed entries (WebSub §7 allows it); anything else goes whole. */
function select({ outcome, diff, rendered }: Selection, body: Buffer, contentType: string | undefined): Delivery {
  const whole = (parseError: string | null): Delivery => ({
    body,
    contentType: contentType ?? 'application/octet-stream',
    newEntries: 0,
    updatedEntries: 0,
    updatedKeys: [],
    updatedFields: [],
    entries: [],
    parseError,
  });
  if (outcome.kind === 'plain') return whole(null);
  if (outcome.kind === 'unparseable') return whole(outcome.reason);
  const entries = diff?.remember ?? [];
  return {
    body: rendered?.body,
    contentType: rendered?.contentType ?? contentType ?? '',
    newEntries: diff?.newKeys.length ?? 0,
    updatedEntries: diff?.updatedKeys.length ?? 0,
    updatedKeys: diff?.updatedKeys ?? [],
    updatedFields: diff?.updatedFields ?? [],
    entries,
    parseError: describeProblems(outcome.doc.problems),
    refreshSeconds: outcome.doc.refreshSeconds,
  };
}

/** Updated entry key (its first 12 hex) -> the fields that changed, for the log line. */
function changesOf(delivery: Delivery): Record<string, string> {
  return Object.fromEntries(delivery.updatedKeys.map((k, i) => [k.slice(0, 12), delivery.updatedFields[i] || 'unknown']));
}

/** What a recovered (not well-formed) feed's reader had to guess, for the topic's admin view. */
function describeProblems(problems: string[] | undefined): string | null {
  if (!problems?.length) return null;
  const text = `recovered from malformed markup: ${problems.join('; ')}`;
  return text.length > 2000 ? `${text.slice(0, 1997)}...` : text;
}

/** Whether a failed fetch says nothing against the server's health (it answered, in time, and not with a 5xx). */
function serverBehaved(code: string, status: number | null): boolean {
  if (code === 'HUB_ERR_ADDRESS_BLOCKED') return true;
  return status !== null && status < 500 && status !== 408 && status !== 429;
}
