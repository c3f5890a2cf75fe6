import crypto from 'node:crypto';
import { startChild } from '../lib/child.js';
import { unique, type BenchContext, type Row } from '../lib/context.js';
import { createHub, type Backend } from '../lib/hub.js';
import { idleHealth, pollHealth } from '../lib/responsiveness.js';

/** What issue 20 (item 3) asks of the front while streams resume on a topic of big updates. */
const TARGET_P99_MS = 100;
const UPDATES = 49;
const UPDATE_BYTES = 1024 * 1024;
const CLIENTS = 10;

/** One logged update: an RSS document carrying one entry, about `UPDATE_BYTES` long. */
function updateBody(i: number): Buffer {
  const head = `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Resume</title><link>http://127.0.0.1/</link>`;
  const item = `<item><guid isPermaLink="false">urn:resume:${i}</guid><title>Entry ${i}</title><description>`;
  const tail = `</description></item></channel></rss>\n`;
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n';
  const room = UPDATE_BYTES - head.length - item.length - tail.length;
  return Buffer.from(`${head}${item}${filler.repeat(Math.floor(room / filler.length))}${tail}`);
}

/**
 * 10 event-stream clients resume (after=0) on one topic whose log holds 49
 * updates of 1 MiB each, all at once, while /healthz is probed every 20 ms:
 * its p99 against the same hub idle, until every client has all 49 events.
 * The log is written straight into the hub's database before it starts.
 */
export async function resume(ctx: BenchContext, backend: Backend): Promise<Row[]> {
  const topic = `http://127.0.0.1:${ctx.publisherPort}/feed/resume_${unique()}`;
  const clients = startChild('stream-clients-child.ts');
  const hub = await createHub({
    backend,
    label: `resume-${backend.replace('+', '-')}`,
    profileDir: ctx.profileDir,
    env: { ...ctx.hubEnv },
  });
  try {
    await hub.seed(async (db) => {
      const { rows } = await db.query('insert into topics (url) values ($1) returning id', [topic]);
      for (let i = 1; i <= UPDATES; i++) {
        const body = updateBody(i);
        const hash = crypto.createHash('sha256').update(body).digest('hex');
        await db.query(`insert into contents (hash, content_type, body) values ($1, 'application/rss+xml', $2)`, [hash, body]);
        await db.query('insert into notifications (topic_id, content_hash, new_entries, enqueued_at) values ($1, $2, 1, now())', [
          rows[0].id,
          hash,
        ]);
      }
    });
    await hub.start();
    const idle = await idleHealth(hub.url);
    const before = hub.memory().rssMb;
    const poller = pollHealth(hub.url);
    const started = performance.now();
    const url = `${hub.url}?hub.mode=retrieve&wait=stream&after=0&hub.topic=${encodeURIComponent(topic)}`;
    await clients.call('open', { url, n: CLIENTS, concurrency: CLIENTS });
    const done = await clients.call('waitEvents', { count: UPDATES, timeoutMs: 300_000 });
    const tookMs = performance.now() - started;
    const busy = await poller.stop();
    if (!done.ok) throw new Error(`only ${done.have} of ${CLIENTS} clients got all ${UPDATES} updates (${hub.stderrTail()})`);
    const { peakMb } = hub.memory();
    ctx.log(`  ${CLIENTS} resumes of ${UPDATES} x 1 MiB in ${(tookMs / 1000).toFixed(1)} s; /healthz p99 ${busy.p99.toFixed(1)} ms`);
    return [
      {
        scenario: 'responsiveness',
        backend,
        n: CLIENTS,
        metric: `/healthz p99 ms during ${CLIENTS} stream resumes of ${UPDATES} x 1 MiB`,
        hub: busy.p99,
        baseline: idle.p99,
        baselineLabel: 'ms p99 idle',
        ratio: busy.p99 / idle.p99,
        target: `p99 < ${TARGET_P99_MS} ms`,
        met: busy.p99 < TARGET_P99_MS,
        note:
          `p50 ${busy.p50.toFixed(1)} ms (idle ${idle.p50.toFixed(1)}), max ${busy.max.toFixed(0)} ms, ${busy.polls} polls every 20 ms` +
          `${busy.failures ? `, ${busy.failures} not 200` : ''}; all resumed in ${(tookMs / 1000).toFixed(1)} s; ` +
          `hub RSS ${before.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB`,
      },
    ];
  } finally {
    await clients.call('close').catch(() => undefined);
    await clients.close();
    await hub.destroy();
  }
}
