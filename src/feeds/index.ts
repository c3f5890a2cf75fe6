export type { DiffResult, FeedDocument, FeedEntry, FeedFormat, ParseOutcome, Rendered, Selection } from './types.js';
export { parseFeed, bodyHash, MAX_FEED_BYTES } from './parse.js';
export { diffEntries } from './diff.js';
export { prepareSelection, prepareSelectionAsync, renderEntries, selectNewContent } from './render.js';
export { entryIdentity } from './entry-id.js';
export { XML_OPTIONS, createXmlParser } from './xml-options.js';
export { renderHistory, renderHistoryAsync, renderHistoryJson, toJsonFeed, toJsonFeedAsync } from './history.js';
export type { HistoryDocument, LoggedBody } from './history.js';
