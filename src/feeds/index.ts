export type {
  DiffResult,
  FeedDocument,
  FeedEntry,
  FeedFormat,
  ParseOutcome,
  Rendered,
  SeenEntry,
  SeenRecord,
  SeenState,
  Selection,
} from './types.js';
export { canonicalJson } from './canonical-json.js';
export { CHANGE_FIELDS, UPDATE_IGNORE_VALUES, stripTracking } from './meaning.js';
export type { ChangeField, UpdateIgnore } from './meaning.js';
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
