import http from 'node:http';
import type { TestHub } from '../helpers/hub.js';
import { rss } from '../helpers/feeds.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { HUB_START_TIMEOUT } from '../helpers/hub.js';

const CSP = "default-src 'none'; sandbox";
const HTML = '<!doctype html><html><body><h1>topic</h1><script>document.title = "ran"</script></body></html>';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>document.title = "ran"</script><circle r="5"/></svg>';

/** The status and headers of a GET, without reading a body that never ends (a stream). */
function headersOf(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      resolve({ status: res.statusCode!, headers: res.headers });
      res.destroy();
    });
    req.on('error', reject);
  });
}

// Issue 20, item 1: nothing a publisher wrote is active content on the hub's origin.
describe('what the hub answers on / is inert in a browser', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers('pg-redis'));
    publisher.set('/feed.xml', { body: rss(['f1']), contentType: 'application/rss+xml' });
    publisher.set('/page.html', { body: HTML, contentType: 'text/html; charset=utf-8' });
    publisher.set('/image.svg', { body: SVG, contentType: 'image/svg+xml' });
    publisher.set('/quiet.xml', { body: rss(['q1']), contentType: 'application/rss+xml' });
    for (const path of ['/feed.xml', '/page.html', '/image.svg']) {
      await hub.subscribeAndWait(`${subscriber.origin}/cb${path}`, publisher.topicUrl(path));
      await hub.post({ 'hub.mode': 'publish', 'hub.url': publisher.topicUrl(path) });
      await waitFor(() => subscriber.deliveries().some((d) => d.url === `/cb${path}`), { what: `delivery of ${path}` });
    }
    // Known to the hub, nothing logged yet: a retrieve answers 204.
    await hub.subscribeAndWait(`${subscriber.origin}/cb/quiet`, publisher.topicUrl('/quiet.xml'));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const retrieveUrl = (path: string, params: Record<string, string> = {}) =>
    `${hub.url}?${new URLSearchParams({ 'hub.mode': 'retrieve', 'hub.topic': publisher.topicUrl(path), ...params })}`;

  test('every answer of / carries nosniff and the sandbox policy: text, feed, 204, errors, long-poll, stream, POST', async () => {
    const answers: Array<[string, number, http.IncomingHttpHeaders]> = [];
    const get = async (what: string, url: string, headers: Record<string, string> = {}) => {
      const res = await headersOf(url, headers);
      answers.push([what, res.status, res.headers]);
    };
    await get('plain GET /', hub.url);
    await get('feed retrieve', retrieveUrl('/feed.xml'));
    await get('empty retrieve', retrieveUrl('/quiet.xml'));
    await get('unknown topic', retrieveUrl('/never.xml'));
    await get('bad mode', `${hub.url}?hub.mode=nonsense`);
    await get('bad parameter', retrieveUrl('/feed.xml', { count: 'many' }));
    await get('long-poll with an update', retrieveUrl('/feed.xml', { wait: 'poll', after: '0' }));
    await get('long-poll timing out', retrieveUrl('/quiet.xml', { wait: 'poll', timeout: '1' }));
    await get('stream', retrieveUrl('/feed.xml', { wait: 'stream' }));
    await get('stream by Accept', retrieveUrl('/feed.xml'), { accept: 'text/event-stream' });
    await get('unknown path', `${hub.url}no-such-page`);
    for (const [what, body, type] of [
      [
        'subscribe',
        { 'hub.mode': 'subscribe', 'hub.callback': `${subscriber.origin}/cb/x`, 'hub.topic': publisher.topicUrl('/x') },
        undefined,
      ],
      ['bad POST', { 'hub.mode': 'nonsense' }, undefined],
      ['wrong content type', {}, 'text/html'],
    ] as const) {
      const res = await fetch(hub.url, {
        method: 'POST',
        body: new URLSearchParams(body),
        headers: type ? { 'content-type': type } : {},
      });
      answers.push([what, res.status, Object.fromEntries(res.headers)]);
    }

    expect(answers.map(([what, status]) => [what, status])).toEqual([
      ['plain GET /', 200],
      ['feed retrieve', 200],
      ['empty retrieve', 204],
      ['unknown topic', 404],
      ['bad mode', 400],
      ['bad parameter', 400],
      ['long-poll with an update', 200],
      ['long-poll timing out', 204],
      ['stream', 200],
      ['stream by Accept', 200],
      ['unknown path', 404],
      ['subscribe', 202],
      ['bad POST', 400],
      ['wrong content type', 415],
    ]);
    for (const [what, , headers] of answers) {
      expect({ what, nosniff: headers['x-content-type-options'], csp: headers['content-security-policy'] }).toEqual({
        what,
        nosniff: 'nosniff',
        csp: CSP,
      });
    }
  });

  test('a topic of HTML or SVG is retrieved as an attachment, never inline; a feed stays inline', async () => {
    for (const path of ['/page.html', '/image.svg']) {
      const res = await fetch(retrieveUrl(path));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain('<script>');
    }
    const polled = await fetch(retrieveUrl('/page.html', { wait: 'poll', after: '0' }));
    expect(polled.status).toBe(200);
    expect(polled.headers.get('content-disposition')).toBe('attachment');
    const feed = await fetch(retrieveUrl('/feed.xml'));
    expect(feed.headers.get('content-type')).toBe('application/rss+xml');
    expect(feed.headers.get('content-disposition')).toBeNull();
    // The JSON form of an HTML topic is a JSON Feed: inline, and still no HTML type.
    const json = await fetch(retrieveUrl('/page.html', { format: 'json' }));
    expect(json.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
  });
});
