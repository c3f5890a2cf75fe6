import { readFile } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import { Parser } from 'htmlparser2';
import { accepted, httpUrl, postForm } from './client.js';

/** Requests in flight at once: a reading list of hundreds should not look like a flood to the hub. */
const CONCURRENCY = 4;

/** The feed URLs (`xmlUrl` of each `<outline>`) of an OPML document, in order, without repeats. */
export function opmlFeeds(text: string): string[] {
  const feeds = new Set<string>();
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name.toLowerCase() !== 'outline') return;
        const url = Object.entries(attributes)
          .find(([key]) => key.toLowerCase() === 'xmlurl')?.[1]
          ?.trim();
        if (url) feeds.add(url);
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(text);
  return [...feeds];
}

/**
 * Subscribes one callback to every feed of an OPML file: a progress bar on a
 * terminal (plain lines otherwise), then a summary of what the hub accepted
 * and refused. Resolves to the exit code (1 when anything was refused).
 */
export async function subscribeFromOpml(file: string, hub: string, fields: Record<string, string | undefined>): Promise<number> {
  const feeds = opmlFeeds(await readFile(file, 'utf8'));
  if (feeds.length === 0) throw new Error(`${file} lists no feeds (no <outline xmlUrl="...">)`);
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'subscribing [{bar}] {value}/{total} {topic}' }, Presets.shades_classic)
    : undefined;
  bar?.start(feeds.length, 0, { topic: '' });
  const refused: Array<{ topic: string; reason: string }> = [];
  let done = 0;
  let next = 0;

  async function subscribeOne(topic: string): Promise<void> {
    let reason: string | undefined;
    try {
      const answer = await postForm(hub, { 'hub.mode': 'subscribe', 'hub.topic': httpUrl(topic, 'feed'), ...fields });
      if (!accepted(answer)) reason = `${answer.status} ${answer.body.trim().split('\n')[0] ?? ''}`.trim();
    } catch (err) {
      reason = (err as Error).message;
    }
    if (reason !== undefined) refused.push({ topic, reason });
    done++;
    if (bar) bar.update(done, { topic });
    else process.stdout.write(`[${done}/${feeds.length}] ${reason === undefined ? 'accepted' : 'refused'} ${topic}\n`);
  }

  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, feeds.length) }, async () => {
      while (next < feeds.length) await subscribeOne(feeds[next++]);
    }),
  );
  bar?.stop();
  process.stdout.write(`accepted ${feeds.length - refused.length}, refused ${refused.length} of ${feeds.length} feeds\n`);
  for (const { topic, reason } of refused) process.stdout.write(`refused ${topic}: ${reason}\n`);
  return refused.length === 0 ? 0 : 1;
}
