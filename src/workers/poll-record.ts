import type { PollRecord, Topic } from '../db/index.js';
import type { Logger } from '../log.js';
import {
  nextPollAt,
  nextPollInterval,
  type FetchOutcomeForPoll,
  type FetchSource,
  type PollBounds,
  type PollReason,
} from './poll-interval.js';

/** The topic's next poll after this fetch; `feedRefreshSeconds` when the feed was parsed. */
export type SchedulePoll = (
  topic: Topic,
  source: FetchSource,
  result: FetchOutcomeForPoll['result'],
  hints: FetchOutcomeForPoll['hints'],
  feedRefreshSeconds?: number | null,
) => PollRecord;

/** Works out a fetched topic's next poll (workers/poll-interval.ts) as the fetch record stores it. */
export function createPollRecorder(log: Logger, bounds: PollBounds): SchedulePoll {
  return (topic, source, result, hints, feedRefreshSeconds) => {
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
  };
}
