export { isPublicAddress, isAddressAllowed, guardedLookup, createGuardedLookup, assertUrlAllowed } from './address-guard.js';
export type { AddressPolicy } from './address-guard.js';
export { createTopicFetcher, USER_AGENT } from './topic-fetcher.js';
export type { TopicFetcher, TopicResponse, FetchValidators } from './topic-fetcher.js';
export { createCallbackClient } from './callback-client.js';
export type { CallbackClient, CallbackResponse } from './callback-client.js';
export { withQuery } from './callback-url.js';
export { sign } from './signature.js';
