import type { SeenRecord, Selection } from '../feeds/index.js';

/** What a fetch decided to deliver, if anything. */
export interface Delivery {
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

/** Feeds deliver only new and changed entries (WebSub §7 allows it); anything else goes whole. */
export function select({ outcome, diff, rendered }: Selection, body: Buffer, contentType: string | undefined): Delivery {
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
export function changesOf(delivery: Delivery): Record<string, string> {
  return Object.fromEntries(delivery.updatedKeys.map((k, i) => [k.slice(0, 12), delivery.updatedFields[i] || 'unknown']));
}

/** What a recovered (not well-formed) feed's reader had to guess, for the topic's admin view. */
function describeProblems(problems: string[] | undefined): string | null {
  if (!problems?.length) return null;
  const text = `recovered from malformed markup: ${problems.join('; ')}`;
  return text.length > 2000 ? `${text.slice(0, 1997)}...` : text;
}
