import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { prepareSelectionAsync } from '../../../src/feeds/index.js';

/** A valid RSS feed of about `megabytes` MB with distinct guids. */
function bigFeed(megabytes: number): { body: Buffer; items: number } {
  const parts = ['<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'];
  let size = 0;
  let items = 0;
  while (size < megabytes * 1024 * 1024) {
    const s = `<item><guid>g${items++}</guid><title>t &amp; u</title><description><![CDATA[<p>${'x'.repeat(500)}</p>]]></description></item>\n`;
    parts.push(s);
    size += s.length;
  }
  parts.push('</channel></rss>');
  return { body: Buffer.from(parts.join('')), items };
}

describe('the hub parses without holding up its thread', () => {
  it('an HTTP request on the same thread is answered while a large feed is being parsed', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { body, items } = bigFeed(8);
      const order: string[] = [];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
      const answered = fetch(url).then(async (r) => {
        await r.text();
        order.push('answered');
      });
      const parsed = prepareSelectionAsync(body, 'application/rss+xml', 60_000).then((p) => {
        order.push('parsed');
        return p;
      });
      const [, prepared] = await Promise.all([answered, parsed]);
      expect(prepared.keys).toHaveLength(items);
      expect(order).toEqual(['answered', 'parsed']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);

  it("the budget counts only the parse's own time and gives the document up when spent", async () => {
    const { body } = bigFeed(8);
    const prepared = await prepareSelectionAsync(body, 'application/rss+xml', 20);
    expect(prepared.keys).toEqual([]);
    expect(prepared.select(new Map()).outcome).toEqual({ kind: 'unparseable', reason: 'parse took longer than its budget of 20 ms' });
  });
});
