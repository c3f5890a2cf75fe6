import { DelayedError, type Job } from 'bullmq';
import type { Deps } from '../deps.js';
import { pruneSeenEntries, recordFetch, recordFetchWithoutContent } from '../db/index.js';
import type { Content, DeliveryTarget, FetchResult, StatementBatches } from '../db/index.js';
import { bodyHash, prepareSelectionAsync } from '../feeds/index.js';
import { HubError } from '../errors.js';
import type { TopicResponse } from '../net/index.js';
import { createFetchGate, type FetchPass } from './fetch-gate.js';
import { recordFetchFailure } from './fetch-failure.js';
import type { ClaimedTopic, FetchRun, FetchWorker } from './fetch-run.js';
import { changesOf, select, type Delivery } from './fetch-selection.js';
import type { FirstPageHandOver } from './hand-over.js';
import type { FetchSource } from './poll-interval.js';
import { createPollRecorder } from './poll-record.js';
import type { JobData } from '../queue/index.js';

/** Longest a fetch waits in its job for a busy target's slot before it goes back to the queue. */
const BUSY_WAIT_MS = 250;

type FetchJob = Job<JobData['fetch']>;

/** A fetched body unlike the last one: what the diff starts from. */
interface ChangedBody {
  response: Extract<TopicResponse, { body: Buffer }>;
  hash: string;
}

/** The diff's verdict and the fetch record that goes with it. */
interface Diffed {
  selection: Delivery;
  result: FetchResult;
}

/** New content, stored with its notification, and the notification's first page of subscribers. */
interface Stored {
  notificationId: number;
  firstPage: DeliveryTarget[];
  content: Content;
}

/**
 * Fetches a topic (H18), works out what is new and, if anything is,
 * stores it once and fans it out: the first page right here (hand-over.ts),
 * the rest queued. Unchanged content delivers nothing. The steps, in order,
 * are docs/jobs.md's ("fetch").
 */
export function fetchJob(deps: Deps, handOver: FirstPageHandOver, batches: StatementBatches) {
  const log = deps.log.child({ module: 'fetch' });
  const { config, metrics } = deps;
  const gate = createFetchGate({
    perTarget: config.fetchPerHost,
    minIntervalMs: config.fetchMinIntervalSeconds * 1000,
    circuit: { minAttempts: config.circuitMinAttempts, cooldownMs: config.circuitCooldownMs, maxCooldownMs: 5 * 60 * 1000 },
    poll: { perTarget: config.pollPerHost, spacingMs: config.pollHostSpacingMs },
  });
  const schedule = createPollRecorder(log, { minSeconds: config.pollMinSeconds, maxSeconds: config.pollMaxSeconds });
  const worker: FetchWorker = { deps, log, gate, schedule, handOver, batches };
  metrics.watchCircuits('topic', () => gate.openCircuits());

  return async (job: FetchJob, token?: string): Promise<void> => {
    const claimed = await readTopic(worker, job);
    if (!claimed) return;
    const pass = await admit(worker, claimed, job, token);
    const { source } = claimed;
    const run: FetchRun = {
      ...claimed,
      startedAt: new Date(Date.now() - 1),
      counted: (outcome) => metrics.fetches.inc({ source, outcome }),
    };
    const response = await fetchThroughGate(worker, run, pass, job);
    if (!response) return;
    const changed = await classify(worker, run, response);
    if (!changed) return;
    const diffed = await diff(worker, run, changed);
    const stored = await store(worker, run, diffed);
    if (stored) await handOverFirstPage(worker, run, diffed.selection, stored);
  };
}

/** The topic and why it is fetched; undefined when it is gone or paused (then the job is done). */
async function readTopic({ log, batches }: FetchWorker, job: FetchJob): Promise<ClaimedTopic | undefined> {
  const found = await batches.topicForFetch(job.data.topicId);
  if (!found) return undefined;
  const { topic, seenCount } = found;
  // A pending ping mark makes this a ping's fetch (a poll merged into it too); else the schedule's.
  const source: FetchSource = topic.fetchRequestedAt ? 'ping' : topic.lastFetchAt === null ? 'subscribe' : 'poll';
  const ctx = { jobId: job.id, topicId: topic.id, source };
  if (topic.pausedAt) {
    // Paused by an operator: the ping's fetch mark stays, and the resume queues the fetch.
    log.debug(ctx, 'topic paused; fetch skipped');
    return undefined;
  }
  return { topic, seenCount, source, ctx };
}

/** The gate's pass for this fetch; a refusal puts the job back in the queue (throws DelayedError). */
async function admit({ log, gate }: FetchWorker, { topic, source, ctx }: ClaimedTopic, job: FetchJob, token?: string): Promise<FetchPass> {
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
  return admission.pass;
}

/** The conditional GET, its pass released; undefined when it failed as the topic's failure (recorded). */
async function fetchThroughGate(worker: FetchWorker, run: FetchRun, pass: FetchPass, job: FetchJob): Promise<TopicResponse | undefined> {
  const { deps, log } = worker;
  const { topic, source } = run;
  let response;
  const began = performance.now();
  try {
    response = await deps.http.topics.fetchTopic(topic.url, { etag: topic.etag, lastModified: topic.lastModified });
    pass.release(true);
  } catch (err) {
    deps.metrics.fetchDuration.observe({ source }, (performance.now() - began) / 1000);
    // The fetcher turns every network, HTTP and size failure into a HubError: anything else is a bug of
    // ours, not the topic's failure. The job fails (and is retried); the topic's record is left alone.
    if (!(err instanceof HubError)) {
      pass.release(true);
      log.error({ ...run.ctx, err }, 'fetch job failed');
      throw err;
    }
    await recordFetchFailure(worker, run, pass, job, err);
    return undefined;
  }
  deps.metrics.fetchDuration.observe({ source }, (performance.now() - began) / 1000);
  return response;
}

/** A 304 or the body fetched last time is recorded with the next poll (undefined); a changed body goes on to the diff. */
async function classify({ deps, log, schedule }: FetchWorker, run: FetchRun, response: TopicResponse): Promise<ChangedBody | undefined> {
  const { topic, source, startedAt, ctx } = run;
  if (response.status === 304 || !('body' in response)) {
    run.counted('not_modified');
    const poll = schedule(topic, source, 'unchanged', { freshSeconds: response.freshSeconds });
    await recordFetch(deps.db.pool, topic.id, startedAt, { status: 304, error: null }, poll);
    log.debug(ctx, 'topic not modified');
    return undefined;
  }
  const hash = bodyHash(response.body);
  if (hash === topic.contentHash) {
    run.counted('unchanged');
    const poll = schedule(topic, source, 'unchanged', { freshSeconds: response.freshSeconds });
    const validators = { etag: response.etag, lastModified: response.lastModified };
    await recordFetch(deps.db.pool, topic.id, startedAt, { status: response.status, error: null, ...validators }, poll);
    log.debug(ctx, 'topic body unchanged');
    return undefined;
  }
  return { response, hash };
}

/** Parses the body, diffs it against the entries seen, and keeps the topic's seen entries under their cap. */
async function diff({ deps, batches, schedule }: FetchWorker, run: FetchRun, { response, hash }: ChangedBody): Promise<Diffed> {
  const { config } = deps;
  const { topic, source, seenCount } = run;
  // Parsed first, so only the history of the entries this document carries is read.
  const prepared = await prepareSelectionAsync(response.body, response.contentType, config.parseBudgetMs, config.updateIgnore);
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
    startedAt: run.startedAt,
    status: response.status,
    etag: response.etag,
    lastModified: response.lastModified,
    bodyHash: hash,
    contentType: response.contentType ?? null,
    parseError: selection.parseError,
    entries: selection.entries,
  };
  const max = config.seenEntriesMax;
  if (seenCount + selection.newEntries > max) await pruneSeenEntries(deps.db.pool, topic.id, max, prepared.keys);
  return { selection, result };
}

/** Records the fetch; with something new, stores it in the same statement and reads its first page (undefined otherwise). */
async function store(
  { deps, log, batches, handOver }: FetchWorker,
  run: FetchRun,
  { selection, result }: Diffed,
): Promise<Stored | undefined> {
  if (selection.body === undefined) {
    run.counted('unchanged');
    await recordFetchWithoutContent(deps.db.pool, result);
    log.debug(run.ctx, 'no new entries');
    return undefined;
  }
  const content = { hash: bodyHash(selection.body), contentType: selection.contentType, body: selection.body };
  const { notificationId, firstPage } = await batches.storeContent({
    result,
    content: {
      ...content,
      newEntries: selection.newEntries,
      updatedEntries: selection.updatedEntries,
      updatedKeys: selection.updatedKeys,
      updatedFields: selection.updatedFields,
      claimSeconds: handOver.claimSeconds,
    },
  });
  return { notificationId, firstPage, content };
}

/** Counts and logs the new content, announces it, and delivers its first page from this job (hand-over.ts). */
async function handOverFirstPage(
  { deps, log, handOver }: FetchWorker,
  run: FetchRun,
  selection: Delivery,
  { notificationId, firstPage, content }: Stored,
): Promise<void> {
  const { metrics } = deps;
  const { topic } = run;
  const counts = { newEntries: selection.newEntries, updatedEntries: selection.updatedEntries };
  run.counted('new_content');
  metrics.notifications.inc();
  metrics.entries.inc({ kind: 'new' }, counts.newEntries);
  metrics.entries.inc({ kind: 'updated' }, counts.updatedEntries);
  // Which fields each updated entry changed, so the log says why subscribers got it again.
  const changes = selection.updatedKeys.length ? changesOf(selection) : undefined;
  log.info({ ...run.ctx, notificationId, bytes: content.body.length, ...counts, changes }, 'new content stored for delivery');
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
}
