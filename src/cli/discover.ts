import type { Command } from 'commander';
import LinkHeader from 'http-link-header';
import { Parser } from 'htmlparser2';
import { parseFeed } from '../feeds/index.js';
import { httpUrl } from './client.js';

export interface Discovered {
  url: string;
  hubs: Array<{ url: string; from: 'header' | 'document' }>;
  self: Array<{ url: string; from: 'header' | 'document' }>;
}

const MAX_BYTES = 5 * 1024 * 1024;

/** rel="hub" and rel="self" of `<link>` elements in an HTML page (rel is a space-separated token list). */
function htmlLinks(html: string): Array<{ rel: string[]; href: string }> {
  const links: Array<{ rel: string[]; href: string }> = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name !== 'link' || !attributes.href) return;
      links.push({ rel: (attributes.rel ?? '').toLowerCase().split(/\s+/).filter(Boolean), href: attributes.href });
    },
  });
  parser.end(html);
  return links;
}

/**
 * WebSub §4 discovery: the hub and self links of a topic, from its HTTP Link
 * headers first (they win, per the spec), then its document: a feed through the
 * feed engine, an HTML page through its `<link>` elements.
 */
export async function discover(target: string): Promise<Discovered> {
  const res = await fetch(target, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET ${target} answered ${res.status}`);
  const base = res.url || target;
  const found: Discovered = { url: base, hubs: [], self: [] };
  const add = (rel: 'hubs' | 'self', href: string, from: 'header' | 'document') => {
    let url: string;
    try {
      url = new URL(href, base).href;
    } catch {
      return;
    }
    if (!found[rel].some((l) => l.url === url)) found[rel].push({ url, from });
  };
  const header = res.headers.get('link');
  if (header) {
    const links = LinkHeader.parse(header);
    for (const link of links.rel('hub')) add('hubs', link.uri, 'header');
    for (const link of links.rel('self')) add('self', link.uri, 'header');
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_BYTES) throw new Error(`${target} is larger than ${MAX_BYTES} bytes`);
  const contentType = res.headers.get('content-type') ?? undefined;
  if (/html/i.test(contentType ?? '') && !/xhtml\+xml|xml/i.test(contentType ?? '')) {
    for (const link of htmlLinks(body.toString('utf8'))) {
      if (link.rel.includes('hub')) add('hubs', link.href, 'document');
      if (link.rel.includes('self')) add('self', link.href, 'document');
    }
    return found;
  }
  const outcome = parseFeed(body, contentType);
  if (outcome.kind === 'feed') {
    for (const hub of outcome.doc.hubUrls ?? []) add('hubs', hub, 'document');
    if (outcome.doc.selfUrl) add('self', outcome.doc.selfUrl, 'document');
  }
  return found;
}

export function registerDiscoverCommand(program: Command): void {
  program
    .command('discover')
    .description('show the hub and self links of a feed or page (HTTP Link headers and <link> elements)')
    .argument('<url>', 'the feed or page')
    .option('--json', 'print JSON for scripts')
    .action(async (url: string, options: { json?: boolean }) => {
      const found = await discover(httpUrl(url, 'the URL'));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      } else {
        for (const hub of found.hubs) process.stdout.write(`hub  ${hub.url}  (${hub.from === 'header' ? 'Link header' : 'document'})\n`);
        for (const self of found.self) process.stdout.write(`self ${self.url}  (${self.from === 'header' ? 'Link header' : 'document'})\n`);
        if (found.hubs.length === 0) process.stderr.write(`no hub advertised by ${found.url}\n`);
      }
      process.exitCode = found.hubs.length > 0 ? 0 : 1;
    });
}
