/**
 * The one registry of Crier's error codes. Each code has an HTTP status (used
 * when the error reaches a client) and a default one-line message.
 */
export const codes = Object.freeze({
  HUB_ERR_PARAM_MODE_MISSING: { status: 400, message: 'hub.mode is required' },
  HUB_ERR_PARAM_MODE_UNKNOWN: { status: 400, message: 'hub.mode must be subscribe, unsubscribe, publish, replay (POST) or retrieve (GET)' },
  HUB_ERR_PARAM_CALLBACK_INVALID: { status: 400, message: 'hub.callback is missing or not a valid http(s) URL' },
  HUB_ERR_PARAM_TOPIC_INVALID: { status: 400, message: 'hub.topic is missing or not a valid http(s) URL' },
  HUB_ERR_PARAM_URL_TOO_LONG: { status: 400, message: 'URL is longer than 2048 characters' },
  HUB_ERR_PARAM_URL_CREDENTIALS: { status: 400, message: 'URLs with credentials are not accepted' },
  HUB_ERR_PARAM_LEASE_INVALID: { status: 400, message: 'hub.lease_seconds must be a positive integer' },
  HUB_ERR_VERIFY_REFUSED: { status: 409, message: 'the callback did not confirm the subscription' },
  HUB_ERR_PARAM_SIGNATURE_ALGORITHM: { status: 400, message: 'hub.signature_algorithm is not sha1, sha256, sha384 or sha512' },
  HUB_ERR_PARAM_SECRET_TOO_LONG: { status: 400, message: 'hub.secret must be shorter than 200 bytes' },
  HUB_ERR_PARAM_VERIFY_INVALID: { status: 400, message: 'hub.verify must be sync or async' },
  HUB_ERR_PARAM_REPEATED: { status: 400, message: 'a hub.* parameter was given more than once' },
  HUB_ERR_PARAM_ENCODING: { status: 400, message: 'request body is not valid UTF-8 form data' },
  HUB_ERR_PUBLISH_NO_URL: { status: 400, message: 'publish needs at least one hub.url or hub.topic' },
  HUB_ERR_PUBLISH_TOO_MANY_URLS: { status: 400, message: 'too many hub.url values in one publish' },
  HUB_ERR_PARAM_COUNT_INVALID: { status: 400, message: 'count must be a whole number from 1 to 50' },
  HUB_ERR_PARAM_SEQ_INVALID: {
    status: 400,
    message: 'before, after and Last-Event-ID must be update ids (whole numbers); before excludes after',
  },
  HUB_ERR_PARAM_FORMAT_INVALID: { status: 400, message: 'format must be json' },
  HUB_ERR_PARAM_DELIVERY_FORMAT_INVALID: { status: 400, message: 'crier.format must be feed or json' },
  HUB_ERR_PARAM_INITIAL_INVALID: { status: 400, message: 'crier.initial must be a whole number from 0 to 50' },
  HUB_ERR_SUBSCRIPTION_UNKNOWN: { status: 404, message: 'no verified, live subscription of that callback to that topic' },
  HUB_ERR_REPLAY_UNPROVEN: {
    status: 403,
    message: 'a replay must be signed with the subscription secret (X-Hub-Signature: sha256=...) or confirmed by its callback',
  },
  HUB_ERR_REPLAY_LIMITED: { status: 429, message: 'a replay of this subscription is running, or HUB_REPLAY_PER_HOUR is used up' },
  HUB_ERR_PARAM_WAIT_INVALID: { status: 400, message: 'wait must be poll or stream' },
  HUB_ERR_PARAM_TIMEOUT_INVALID: { status: 400, message: 'timeout must be a whole number of seconds from 1 to 55' },
  HUB_ERR_PARAM_TOPICS_TOO_MANY: { status: 400, message: 'too many hub.topic values in one request' },
  HUB_ERR_TOPIC_UNKNOWN: { status: 404, message: 'this hub knows no topic with that URL' },
  HUB_ERR_STREAMS_FULL: { status: 503, message: 'this hub process holds as many streams and long-polls as it may; retry later' },
  HUB_ERR_CORS_REFUSED: { status: 403, message: 'this origin may not read this hub from a browser' },
  HUB_ERR_STREAMS_PER_CLIENT: { status: 429, message: 'too many open streams and long-polls from this address; retry later' },
  HUB_ERR_REQUEST_TOO_LARGE: { status: 413, message: 'request body too large' },
  HUB_ERR_REQUEST_CONTENT_TYPE: { status: 415, message: 'content type must be application/x-www-form-urlencoded' },
  HUB_ERR_RATE_LIMITED: { status: 429, message: 'too many requests; retry later' },
  HUB_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  HUB_ERR_METHOD: { status: 405, message: 'method not allowed' },
  HUB_ERR_UNAUTHORIZED: { status: 401, message: 'missing or wrong bearer token' },
  HUB_ERR_AUTH_THROTTLED: { status: 429, message: 'too many wrong admin or metrics tokens from this address; retry later' },
  HUB_ERR_CONSOLE_SIGN_IN: { status: 401, message: 'sign in to the admin console first' },
  HUB_ERR_CSRF: { status: 403, message: 'the form is stale or did not come from this console; reload it and try again' },
  HUB_ERR_CONSOLE_INPUT: { status: 400, message: 'a console form field is missing or invalid' },
  HUB_ERR_METRICS_FORBIDDEN: {
    status: 403,
    message: '/metrics answers loopback clients only; set HUB_METRICS_TOKEN to scrape from elsewhere',
  },
  HUB_ERR_ADDRESS_BLOCKED: { status: 400, message: 'URL resolves to an address the hub may not contact' },
  HUB_ERR_URL_SCHEME: { status: 400, message: 'only http and https URLs are allowed' },
  HUB_ERR_PORT_NOT_ALLOWED: { status: 400, message: "the URL's port is not among the ports this hub may contact" },
  HUB_ERR_TOPIC_FETCH_STATUS: { status: 502, message: 'topic fetch answered an unexpected status' },
  HUB_ERR_TOPIC_FETCH_FAILED: { status: 502, message: 'topic fetch failed' },
  HUB_ERR_TOPIC_TOO_LARGE: { status: 502, message: 'topic body exceeds the configured maximum' },
  HUB_ERR_TOPIC_TOO_SLOW: { status: 502, message: 'topic body arrived slower than the configured minimum rate' },
  HUB_ERR_DELIVERY_FAILED: { status: 502, message: 'delivery failed' },
  HUB_ERR_VERIFY_FAILED: { status: 502, message: 'verification of intent failed' },
  HUB_ERR_CONFIG: { status: 500, message: 'invalid configuration' },
  HUB_ERR_SECRET_KEY_MISSING: { status: 500, message: 'a stored secret cannot be opened with the keys in HUB_SECRET_KEY' },
  HUB_ERR_MIGRATION: { status: 500, message: 'migration failed' },
} as const);

export type HubErrorCode = keyof typeof codes;

/** An expected failure with a stable code; `statusCode` is what a client sees. */
export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly statusCode: number;
  readonly details?: Record<string, unknown>;

  constructor(code: HubErrorCode, message?: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message ?? codes[code].message, { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.statusCode = codes[code].status;
    this.details = options.details;
  }
}
