import type { Deps } from '../deps.js';
import { findContentOfNotification, type Content, type DeliveryFormat, type DeliveryTarget, type Notification } from '../db/index.js';
import { toJsonFeedAsync } from '../feeds/index.js';

/** What a notification's delivery to one subscriber POSTs. */
export interface DeliveryRequest {
  body: Buffer;
  headers: Record<string, string>;
}

export interface DeliveryContent {
  /** A notification's stored body, read once per process for all its pages; undefined when its row is missing. */
  contentFor(notificationId: number): Promise<Content | undefined>;
  /** Keeps a body already read (a first page's), so later pages in this process need not read it. */
  cacheContent(notificationId: number, content: Promise<Content | undefined>): void;
  /** The body and headers of notification `n` for `target`, in the target's format; a replay's is marked so. */
  requestFor(n: Notification, content: Content, target: DeliveryTarget, replay: boolean): Promise<DeliveryRequest>;
  /** The Link header of a delivery of `topicUrl`. */
  linkOf: (topicUrl: string) => string;
}

/** Bodies and headers of content deliveries, each built once per notification (and format) in this process. */
export function createDeliveryContent(deps: Deps): DeliveryContent {
  // A notification's body never changes: the pages of one fan-out read it once per process.
  const contents = new Map<number, Promise<Content | undefined>>();

  function cacheContent(notificationId: number, content: Promise<Content | undefined>): void {
    if (contents.size >= 16) contents.delete(contents.keys().next().value!);
    contents.set(notificationId, content);
  }

  function contentFor(notificationId: number): Promise<Content | undefined> {
    let content = contents.get(notificationId);
    if (!content) {
      content = findContentOfNotification(deps.db.pool, notificationId);
      // Neither a missing row nor a failed read is kept: the next page reads again.
      content.then(
        (found) => found ?? contents.delete(notificationId),
        () => contents.delete(notificationId),
      );
      cacheContent(notificationId, content);
    }
    return content;
  }

  // crier.format=json: a notification's JSON Feed form, rendered once per notification in this process, not per
  // subscriber, its parse in slices (as the fetch job's) so a large body never holds up the front.
  const jsonContents = new Map<number, Promise<Content>>();
  function jsonContentOf(n: Notification, content: Content): Promise<Content> {
    let json = jsonContents.get(n.id);
    if (!json) {
      const logged = { seq: n.id, body: content.body, contentType: content.contentType, ...entriesOf(n), updatedKeys: n.updatedKeys };
      json = toJsonFeedAsync(logged, n.topicUrl).then((doc) => ({ hash: content.hash, contentType: doc.contentType, body: doc.body }));
      json.catch(() => jsonContents.delete(n.id));
      if (jsonContents.size >= 16) jsonContents.delete(jsonContents.keys().next().value!);
      jsonContents.set(n.id, json);
    }
    return json;
  }

  // WebSub §7 (H21): both links in one header; self first, for clients that read only the first link.
  const linkOf = (topicUrl: string) => `<${topicUrl}>; rel="self", <${deps.config.publicUrl}>; rel="hub"`;

  // Headers shared by every delivery of one notification in one format, built once per page.
  const sharedHeaders = new WeakMap<Notification, Partial<Record<DeliveryFormat, Record<string, string>>>>();
  function headersOf(n: Notification, content: Content, format: DeliveryFormat): Record<string, string> {
    let byFormat = sharedHeaders.get(n);
    if (!byFormat) sharedHeaders.set(n, (byFormat = {}));
    let headers = byFormat[format];
    if (!headers) {
      headers = byFormat[format] = {
        'content-type': content.contentType,
        link: linkOf(n.topicUrl),
        'x-crier-entries': `new=${n.newEntries}, updated=${n.updatedEntries}`,
        // The update log's id: the same in a stream event, a long-poll answer and a retrieve result.
        'x-crier-seq': String(n.id),
      };
    }
    return headers;
  }

  async function requestFor(n: Notification, content: Content, target: DeliveryTarget, replay: boolean): Promise<DeliveryRequest> {
    const format = target.format ?? 'feed';
    const shaped = format === 'json' ? await jsonContentOf(n, content) : content;
    // Same id on every retry (and replay), so subscribers can drop duplicates.
    const headers: Record<string, string> = { ...headersOf(n, shaped, format), 'x-hub-delivery': `${n.id}.${target.id}` };
    if (replay) headers['x-crier-replay'] = '1';
    return { body: shaped.body, headers };
  }

  return { contentFor, cacheContent, requestFor, linkOf };
}

/** A notification's entry counts, as the feed engine's logged body carries them. */
function entriesOf(n: Notification): { newEntries: number; updatedEntries: number } {
  return { newEntries: n.newEntries, updatedEntries: n.updatedEntries };
}
