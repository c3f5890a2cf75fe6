export type { DiffResult, FeedDocument, FeedEntry, FeedFormat, ParseOutcome, Rendered, Selection } from './types.js';
export { parseFeed, bodyHash, MAX_FEED_BYTES } from './parse.js';
export type { WorkCount } from './work.js';
export { diffEntries } from './diff.js';
export { prepareSelection, prepareSelectionAsync, renderEntries, selectNewContent } from './render.js';
export { entryIdentity } from './entry-id.js';
export { checkWellFormed, describeWellFormedness } from './well-formed.js';
export type { WellFormedness } from './well-formed.js';
export {
  parseLoggedBody,
  parsedWeight,
  renderHistory,
  renderHistoryAsync,
  renderHistoryJson,
  renderParsedHistory,
  toJsonFeed,
  toJsonFeedAsync,
} from './history.js';
export type { HistoryDocument, LoggedBody, ParsedBody } from './history.js';
