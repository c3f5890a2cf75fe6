import { HubError } from '../errors.js';
import { parseHubUrl } from './urls.js';
import { wholeNumber } from './whole-number.js';

/** Most topics one long-poll or stream may watch. */
export const MAX_WATCHED_TOPICS = 100;
/** Retrieve: entries per answer by default and at most. */
export const DEFAULT_COUNT = 10;
export const MAX_COUNT = 50;
/** Long-poll: seconds held by default and at most (under the 60 s many proxies allow). */
export const DEFAULT_POLL_SECONDS = 30;
export const MAX_POLL_SECONDS = 55;

/** A `GET /?hub.mode=retrieve` request, validated. */
export interface RetrieveRequest {
  topics: string[];
  count: number;
  before: number | undefined;
  /** From `after`, else the `Last-Event-ID` header. */
  after: number | undefined;
  format: 'feed' | 'json';
  wait: 'none' | 'poll' | 'stream';
  timeoutSeconds: number;
}

/** What the request's headers say beyond its query. */
export interface RetrieveHeaders {
  accept?: string;
  lastEventId?: string;
}

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.some((v) => v.includes('\u0000'))) throw new HubError('HUB_ERR_PARAM_ENCODING', `${name} must not contain NUL characters`);
  if (values.length > 1 && values.some((v) => v !== values[0])) {
    throw new HubError('HUB_ERR_PARAM_REPEATED', `${name} was given more than once with different values`);
  }
  return values[0] === '' ? undefined : values[0];
}

/** Long-poll, stream and JSON can be asked for in the query or, as browsers and feed readers do, in Accept. */
function accepts(accept: string | undefined, type: RegExp): boolean {
  return accept !== undefined && accept.split(',').some((part) => type.test(part.split(';')[0].trim().toLowerCase()));
}

/**
 * The query of `GET /?hub.mode=retrieve` (the caller checked hub.mode) and
 * the headers that count, as a typed request or a HubError with a one-line
 * reason. Unknown parameters are ignored, as on POST (H4).
 */
export function parseRetrieveRequest(query: URLSearchParams, headers: RetrieveHeaders): RetrieveRequest {
  const waitRaw = single(query, 'wait');
  if (waitRaw !== undefined && waitRaw !== 'poll' && waitRaw !== 'stream') {
    throw new HubError('HUB_ERR_PARAM_WAIT_INVALID', `wait must be poll or stream, got "${waitRaw.slice(0, 40)}"`);
  }
  const wait = waitRaw ?? (accepts(headers.accept, /^text\/event-stream$/) ? 'stream' : 'none');

  const raw = query.getAll('hub.topic');
  if (raw.length === 0) throw new HubError('HUB_ERR_PARAM_TOPIC_INVALID', 'hub.topic is required');
  if (wait === 'none' && new Set(raw).size > 1) {
    throw new HubError('HUB_ERR_PARAM_TOPICS_TOO_MANY', 'a retrieve without wait=poll or wait=stream names one hub.topic');
  }
  if (raw.length > MAX_WATCHED_TOPICS) {
    throw new HubError(
      'HUB_ERR_PARAM_TOPICS_TOO_MANY',
      `a long-poll or stream watches at most ${MAX_WATCHED_TOPICS} topics, got ${raw.length}`,
    );
  }
  const topics = [...new Set(raw.map((t) => parseHubUrl(t, 'hub.topic')))];

  const formatRaw = single(query, 'format');
  if (formatRaw !== undefined && formatRaw !== 'json')
    throw new HubError('HUB_ERR_PARAM_FORMAT_INVALID', `format must be json, got "${formatRaw.slice(0, 40)}"`);
  const format = formatRaw === 'json' || accepts(headers.accept, /^application\/(feed\+)?json$/) ? 'json' : 'feed';

  const count = wholeNumber(single(query, 'count'), 'count', 1, MAX_COUNT, 'HUB_ERR_PARAM_COUNT_INVALID') ?? DEFAULT_COUNT;
  const before = wholeNumber(single(query, 'before'), 'before', 1, Number.MAX_SAFE_INTEGER, 'HUB_ERR_PARAM_SEQ_INVALID');
  const after =
    wholeNumber(single(query, 'after'), 'after', 0, Number.MAX_SAFE_INTEGER, 'HUB_ERR_PARAM_SEQ_INVALID') ??
    wholeNumber(headers.lastEventId, 'Last-Event-ID', 0, Number.MAX_SAFE_INTEGER, 'HUB_ERR_PARAM_SEQ_INVALID');
  if (before !== undefined && after !== undefined)
    throw new HubError('HUB_ERR_PARAM_SEQ_INVALID', 'before and after cannot be given together');
  if (before !== undefined && wait !== 'none')
    throw new HubError('HUB_ERR_PARAM_SEQ_INVALID', 'before is for retrieve; a long-poll or stream reads after');

  const timeoutSeconds =
    wholeNumber(single(query, 'timeout'), 'timeout', 1, MAX_POLL_SECONDS, 'HUB_ERR_PARAM_TIMEOUT_INVALID') ?? DEFAULT_POLL_SECONDS;
  return { topics, count, before, after, format, wait, timeoutSeconds };
}
