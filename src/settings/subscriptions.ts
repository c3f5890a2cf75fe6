/** Subscriptions: which topics may be subscribed to, leases, verification and replay. */
import { int, urlPrefixes, type Setting } from '../setting-kinds.js';

export const SUBSCRIPTION_SETTINGS = {
  topicAllow: urlPrefixes({
    env: 'HUB_TOPIC_ALLOW',
    doc:
      'comma-separated URL prefixes of the topics this hub serves (e.g. `https://example.com/feeds/`); a subscription to any other ' +
      'topic is answered 202 (so the answer never depends on policy, H10), then denied with a `hub.mode=denied` GET to the callback (H12)',
    defaultText: 'unset: every topic',
  }),
  leaseMinSeconds: int({ env: 'HUB_LEASE_MIN_SECONDS', doc: 'shortest lease granted', default: 60, min: 1 }),
  leaseDefaultSeconds: int({ env: 'HUB_LEASE_DEFAULT_SECONDS', doc: 'lease when the subscriber asks for none', default: 864000, min: 1 }),
  leaseMaxSeconds: int({ env: 'HUB_LEASE_MAX_SECONDS', doc: 'longest lease granted', default: 2592000, min: 1 }),
  reconfirmPercent: int({
    env: 'HUB_RECONFIRM_PERCENT',
    doc:
      "when this share of a subscription's lease is left, the hub verifies it with its subscriber again (WebSub §5.3 allows it, H16); " +
      'a confirmation renews the lease, a refusal lets it run out; 0 turns it off',
    default: 10,
    min: 0,
    max: 99,
  }),
  syncVerifyTimeoutMs: int({
    env: 'HUB_SYNC_VERIFY_TIMEOUT_MS',
    doc:
      'how long a PubSubHubbub 0.3 `hub.verify=sync` request waits for its callback before it is answered 202 and verified ' +
      'asynchronously (at most 9000: the sweep takes over unqueued intents after 10 s); also how long a `hub.mode=replay` of a ' +
      'subscription without a secret waits for its callback to confirm it before it is refused',
    default: 5000,
    min: 100,
    max: 9000,
  }),
  replayPerHour: int({
    env: 'HUB_REPLAY_PER_HOUR',
    doc: '`hub.mode=replay` requests accepted per subscription in any hour (one runs at a time); beyond, 429 with Retry-After',
    default: 6,
    min: 1,
    max: 1000,
  }),
} satisfies Record<string, Setting<unknown>>;
