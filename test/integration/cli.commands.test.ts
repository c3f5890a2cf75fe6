import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BACKENDS, startTestHub, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from '../helpers/servers.js';
import { rss } from '../helpers/feeds.js';
import { waitFor } from '../helpers/wait.js';

const CLI = path.resolve('dist/cli.js');
const TOKEN = '70c73818dbd71cb4fdc501e007d004ad';

/** Runs `node dist/cli.js <args>` to its end; resolves its exit code and output. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A running `crier listen` (--json unless asked otherwise): its events as they arrive, and its raw output. */
interface Listener {
  child: ChildProcessWithoutNullStreams;
  events: Array<Record<string, any>>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startListen(args: string[], options: { env?: Record<string, string>; json?: boolean } = {}): Listener {
  const json = options.json ?? true;
  const child = spawn(process.execPath, [CLI, 'listen', ...(json ? ['--json'] : []), ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
  });
  const events: Array<Record<string, any>> = [];
  let stdout = '';
  let pending = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (!json) return;
    pending += c.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as Record<string, any>);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, events, stdout: () => stdout, stderr: () => stderr, exited };
}

const ofKind = (listener: Listener, event: string) => listener.events.filter((e) => e.event === event);

describe.each(BACKENDS)('crier listen against a hub on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let listener: Listener | undefined;

  beforeAll(async () => {
    hub = await startTestHub(backend);
    publisher = await startPublisher();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    if (listener && listener.child.exitCode === null) listener.child.kill('SIGKILL');
    await hub?.stop();
    await publisher?.close();
  });

  test('listen subscribes itself, prints a delivery with a valid signature and its entries, and unsubscribes on SIGTERM', async () => {
    const topic = publisher.topicUrl('/listen.xml');
    publisher.set('/listen.xml', { body: rss(['first entry', 'second entry']), contentType: 'application/rss+xml' });
    listener = startListen(['--hub', hub.url, '--topic', topic]);
    const l = listener;
    await waitFor(() => ofKind(l, 'verify').some((e) => e.mode === 'subscribe'), { what: 'the verification answered', timeoutMs: 30_000 });
    expect(ofKind(l, 'subscribe')[0]).toMatchObject({ status: 202 });
    const callback = ofKind(l, 'listening')[0].url as string;
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
      what: 'the subscription stored',
    });

    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => ofKind(l, 'delivery').length === 1, { what: 'the delivery printed' });
    const delivery = ofKind(l, 'delivery')[0];
    // listen made its own secret, so the hub signed and listen could check it.
    expect(delivery.signature).toBe('valid');
    expect(delivery.headers['x-hub-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(delivery.document).toBe('rss');
    expect(delivery.entries.map((e: { title: string }) => e.title)).toEqual(['first entry', 'second entry']);

    l.child.kill('SIGTERM');
    expect(await l.exited).toBe(0);
    expect(ofKind(l, 'unsubscribe')[0]).toMatchObject({ status: 202 });
    expect(ofKind(l, 'verify').some((e) => e.mode === 'unsubscribe' && e.topic === topic)).toBe(true);
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 0, {
      what: 'the subscription removed',
    });
  });
});

/** Issue 20, item 11: what listen confirms, accepts and prints is its own choice, not a stranger's. */
describe('crier listen guards its subscription, its secret and its terminal', () => {
  let hub: TestHub;
  let publisher: Publisher;
  const listeners: Listener[] = [];
  const listen = (args: string[], options: { env?: Record<string, string>; json?: boolean } = {}) => {
    const l = startListen(args, options);
    listeners.push(l);
    return l;
  };
  /** The callback URL a --json listener announced. */
  const callbackOf = async (l: Listener) => {
    await waitFor(() => ofKind(l, 'listening').length === 1, { what: 'listen listening' });
    return ofKind(l, 'listening')[0].url as string;
  };
  const deliver = (callback: string, body: string, signature?: string) =>
    fetch(callback, {
      method: 'POST',
      headers: { 'content-type': 'application/rss+xml', ...(signature ? { 'x-hub-signature': signature } : {}) },
      body,
    });
  const sign = (body: string, secret: string) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
  const commandLine = (l: Listener) => readFileSync(`/proc/${l.child.pid}/cmdline`, 'utf8');

  beforeAll(async () => {
    hub = await startTestHub('pg-redis');
    publisher = await startPublisher();
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    for (const l of listeners) if (l.child.exitCode === null) l.child.kill('SIGKILL');
    await hub?.stop();
    await publisher?.close();
  });

  test('it confirms only the topic it was given: a subscription of its callback to another topic is refused with 404', async () => {
    const topic = publisher.topicUrl('/mine.xml');
    const other = publisher.topicUrl('/not-mine.xml');
    publisher.set('/mine.xml', { body: rss(['m1']), contentType: 'application/rss+xml' });
    const l = listen(['--hub', hub.url, '--topic', topic]);
    await waitFor(() => ofKind(l, 'verify').some((e) => e.mode === 'subscribe'), { what: 'its own subscription verified' });
    const callback = ofKind(l, 'listening')[0].url as string;

    // Someone else asks the hub to send this listener another topic.
    expect((await hub.post({ 'hub.mode': 'subscribe', 'hub.callback': callback, 'hub.topic': other })).status).toBe(202);
    await waitFor(() => ofKind(l, 'refused').some((e) => e.topic === other), { what: 'the other topic refused' });
    await waitFor(async () => await hub.idle(), { what: 'the verification finished' });
    const topics = await hub.query<{ url: string }>(
      'select t.url from subscriptions s join topics t on t.id = s.topic_id where s.callback = $1',
      [callback],
    );
    expect(topics.map((t) => t.url)).toEqual([topic]);
    expect(ofKind(l, 'verify').every((e) => e.topic === topic)).toBe(true);
    // Asked directly, it does not echo the challenge either.
    const direct = await fetch(`${callback}?hub.mode=subscribe&hub.topic=${encodeURIComponent(other)}&hub.challenge=c-123`);
    expect(direct.status).toBe(404);
    expect(await direct.text()).not.toContain('c-123');
  });

  test('with CRIER_SECRET, deliveries without or with a wrong signature get 403, signed ones 200, and ps never shows the secret', async () => {
    const secret = crypto.randomBytes(16).toString('hex');
    const topic = publisher.topicUrl('/signed.xml');
    publisher.set('/signed.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
    const l = listen(['--hub', hub.url, '--topic', topic], { env: { CRIER_SECRET: secret } });
    await waitFor(() => ofKind(l, 'verify').some((e) => e.mode === 'subscribe'), { what: 'the subscription verified' });
    expect(commandLine(l)).not.toContain(secret);
    const callback = ofKind(l, 'listening')[0].url as string;
    // listen answers the challenge before the hub stores the subscription: a ping in between would reach no one.
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 1, {
      what: 'the subscription stored',
    });

    // The hub signs with the secret listen gave it: CRIER_SECRET's.
    expect((await hub.post({ 'hub.mode': 'publish', 'hub.url': topic })).status).toBe(204);
    await waitFor(() => ofKind(l, 'delivery').length === 1, { what: 'the hub delivery printed' });
    expect(ofKind(l, 'delivery')[0]).toMatchObject({ signature: 'valid', refused: false });

    const body = rss(['forged']);
    const unsigned = await deliver(callback, body);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toBe('signature missing\n');
    expect((await deliver(callback, body, sign(body, 'not-the-secret'))).status).toBe(403);
    expect((await deliver(callback, body, 'sha256=zz')).status).toBe(403);
    expect((await deliver(callback, body, sign(body, secret))).status).toBe(200);
    await waitFor(() => ofKind(l, 'delivery').length === 5, { what: 'every delivery printed' });
    expect(ofKind(l, 'delivery').map((d) => [d.signature, d.refused])).toEqual([
      ['valid', false],
      ['missing', true],
      ['invalid', true],
      ['invalid', true],
      ['valid', false],
    ]);
  });

  test('--secret-file reads the secret from a file; --secret still works but warns that ps shows it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-listen-'));
    try {
      const fromFile = crypto.randomBytes(16).toString('hex');
      const file = path.join(dir, 'secret');
      await fs.writeFile(file, `${fromFile}\n`, { mode: 0o600 });
      const l = listen(['--secret-file', file]);
      const callback = await callbackOf(l);
      expect(commandLine(l)).not.toContain(fromFile);
      const body = rss(['file']);
      expect((await deliver(callback, body, sign(body, fromFile))).status).toBe(200);
      expect((await deliver(callback, body, sign(body, `${fromFile}\n`))).status).toBe(403);
      expect(l.stderr()).toBe('');

      const onCommandLine = listen(['--secret', 'visible-secret']);
      const second = await callbackOf(onCommandLine);
      expect((await deliver(second, body, sign(body, 'visible-secret'))).status).toBe(200);
      expect(onCommandLine.stderr()).toBe(
        'crier listen: --secret shows the secret to every user of this machine (ps); use --secret-file or CRIER_SECRET\n',
      );

      const missing = await runCli(['listen', '--secret-file', path.join(dir, 'absent')]);
      expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('--secret-file: cannot read') });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('what it prints carries no terminal escape sequence or control character, in text and in JSON', async () => {
    const hostile = [
      '\x1b]0;window title\x07Title \x1b[2Jone',
      '\u009b31mred\u009b0m and \u009d8;;http://evil.example\u009c link',
      'fake\r\n  signature: valid',
    ];
    const body = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'hostile',
      items: hostile.map((title, i) => ({ id: String(i), title, content_text: 'x' })),
    });
    // eslint-disable-next-line no-control-regex -- the characters a terminal obeys
    const control = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
    for (const json of [false, true]) {
      const l = listen([], { json });
      await waitFor(() => /listening on (\S+)/.test(l.stdout()) || ofKind(l, 'listening').length === 1, { what: 'listening' });
      const callback = json ? (ofKind(l, 'listening')[0].url as string) : /listening on (\S+)/.exec(l.stdout())![1];
      const posted = await fetch(`${callback}feed`, { method: 'POST', headers: { 'content-type': 'application/feed+json' }, body });
      expect(posted.status).toBe(200);
      const reason = encodeURIComponent('\x1b[31mbad\x1b[0m\x1b]52;c;cGF5bG9hZA==\x07');
      expect((await fetch(`${callback}?hub.mode=denied&hub.topic=http%3A%2F%2Ft.example%2F%1B%5BA&hub.reason=${reason}`)).status).toBe(200);
      await waitFor(() => l.stdout().includes('denied'), { what: 'the denial printed' });
      const out = l.stdout();
      expect(out).not.toMatch(control);
      if (json) {
        const delivery = ofKind(l, 'delivery')[0];
        // Escaped, not lost: a script reading the JSON gets the titles as sent.
        expect(delivery.entries.map((e: { title: string }) => e.title)).toEqual(hostile);
      } else {
        expect(out).toContain('  - Title one\n');
        expect(out).toContain('  - red and  link\n');
        expect(out).toContain('  - fake   signature: valid');
        expect(out.split('\n').filter((line) => line.trim().startsWith('signature:'))).toEqual(['  signature: unchecked']);
        expect(out).toContain('denied http://t.example/: bad');
      }
    }
  });
});

describe('crier client commands against a hub', () => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;
  let dir: string;

  beforeAll(async () => {
    // The commands are clients: one backend serves them all (the listen flow above runs on each).
    hub = await startTestHub('pg-redis', { HUB_ADMIN_TOKEN: TOKEN });
    publisher = await startPublisher();
    subscriber = await startSubscriber();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crier-cli-'));
  }, HUB_START_TIMEOUT);
  afterAll(async () => {
    await hub.stop();
    await publisher.close();
    await subscriber.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('subscribe and publish print what the hub answered, and the delivery happens', async () => {
    const topic = publisher.topicUrl('/cli.xml');
    publisher.set('/cli.xml', { body: rss(['c1']), contentType: 'application/rss+xml' });
    const callback = `${subscriber.origin}/cli`;
    const sub = await runCli([
      'subscribe',
      '--hub',
      hub.url,
      '--topic',
      topic,
      '--callback',
      callback,
      '--secret',
      's3cret',
      '--lease',
      '3600',
    ]);
    expect(sub).toMatchObject({ code: 0, stderr: '' });
    expect(sub.stdout).toMatch(/^202 Accepted\naccepted; verification of intent will follow\n$/);
    await waitFor(async () => (await hub.query('select lease_seconds from subscriptions where callback = $1', [callback])).length === 1, {
      what: 'the subscription verified',
    });
    expect((await hub.query('select lease_seconds from subscriptions where callback = $1', [callback]))[0].lease_seconds).toBe(3600);

    const pub = await runCli(['publish', '--hub', hub.url, topic]);
    expect(pub).toMatchObject({ code: 0, stdout: '204 No Content\n' });
    await waitFor(() => subscriber.deliveries().some((d) => d.url === '/cli'), { what: 'the delivery' });

    // A refusal is printed as the hub gave it, and the exit code says so.
    const long = await runCli(['publish', '--hub', hub.url, `${publisher.origin}/${'a'.repeat(2100)}`]);
    expect(long.code).toBe(1);
    expect(long.stdout).toMatch(/^400 Bad Request\nhub.url is longer than 2048 characters\n$/);

    const unsub = await runCli(['unsubscribe', '--hub', hub.url, '--topic', topic, '--callback', callback]);
    expect(unsub).toMatchObject({ code: 0 });
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 0, {
      what: 'the subscription removed',
    });
  });

  test('bad arguments end with one line and a non-zero code before anything is sent', async () => {
    const bad = [
      ['subscribe', '--hub', hub.url, '--topic', 'not a url', '--callback', `${subscriber.origin}/x`],
      ['subscribe', '--hub', hub.url, '--topic', publisher.topicUrl('/x'), '--callback', `${subscriber.origin}/x`, '--lease', 'soon'],
      ['subscribe', '--hub', 'ftp://hub.example/', '--topic', publisher.topicUrl('/x'), '--callback', `${subscriber.origin}/x`],
    ];
    const runs = await Promise.all(bad.map((args) => runCli(args)));
    for (const [i, { code, stdout, stderr }] of runs.entries()) {
      expect([bad[i].join(' '), code]).toEqual([bad[i].join(' '), 1]);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^crier: /);
    }
    const missing = await runCli(['subscribe', '--topic', publisher.topicUrl('/x')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--hub <url>'/);
  });

  test('every command answers --help', async () => {
    const commands = ['subscribe', 'unsubscribe', 'publish', 'listen', 'discover', 'status', 'topics', 'subscriptions', 'feed', 'config'];
    const runs = await Promise.all(commands.map((command) => runCli([command, '--help'])));
    for (const [i, { code, stdout }] of runs.entries()) {
      expect([commands[i], code]).toEqual([commands[i], 0]);
      expect(stdout).toMatch(new RegExp(`^Usage: crier ${commands[i]}`));
    }
  });

  test('discover finds hub and self links in Link headers, in a feed and in an HTML page', async () => {
    const feedBody = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><id>urn:f</id>
<link rel="hub" href="https://hub.example/"/><link rel="self" href="https://blog.example/feed"/></feed>`;
    publisher.set('/feed.atom', {
      body: feedBody,
      contentType: 'application/atom+xml',
      headers: { link: '<https://other-hub.example/>; rel="hub"' },
    });
    publisher.set('/page.html', {
      body: '<!doctype html><html><head><title>P</title><link rel="alternate hub" href="/local-hub"><link rel="self" href="https://blog.example/page"></head><body><link rel="hub" href="https://late.example/"></body></html>',
      contentType: 'text/html; charset=utf-8',
    });
    publisher.set('/nohub.html', { body: '<html><head></head></html>', contentType: 'text/html' });

    const feed = await runCli(['discover', publisher.topicUrl('/feed.atom')]);
    expect(feed.code).toBe(0);
    expect(feed.stdout).toBe(
      'hub  https://other-hub.example/  (Link header)\nhub  https://hub.example/  (document)\nself https://blog.example/feed  (document)\n',
    );

    const page = await runCli(['discover', '--json', publisher.topicUrl('/page.html')]);
    expect(page.code).toBe(0);
    expect(JSON.parse(page.stdout)).toEqual({
      url: publisher.topicUrl('/page.html'),
      hubs: [
        { url: `${publisher.origin}/local-hub`, from: 'document' },
        { url: 'https://late.example/', from: 'document' },
      ],
      self: [{ url: 'https://blog.example/page', from: 'document' }],
    });

    const none = await runCli(['discover', publisher.topicUrl('/nohub.html')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^no hub advertised by /);
  });

  test('status, topics and subscriptions read the admin API with CRIER_ADMIN_TOKEN, as JSON or tables', async () => {
    const topic = publisher.topicUrl('/status.xml');
    publisher.set('/status.xml', { body: rss(['s1']), contentType: 'application/rss+xml' });
    await hub.subscribeAndWait(`${subscriber.origin}/status`, topic);
    const env = { CRIER_ADMIN_TOKEN: TOKEN, CRIER_HUB_URL: hub.url };

    const json = await runCli(['status', '--json'], env);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as Record<string, any>;
    const [{ count }] = await hub.query<{ count: number }>('select count(*)::int as count from subscriptions');
    expect(status).toMatchObject({ role: 'all', subscriptions: count, failingSubscriptions: 0 });
    expect(status.topics).toBeGreaterThanOrEqual(1);
    expect(Object.keys(status.queues).sort()).toEqual(['deliver', 'fetch', 'verify']);
    expect(status.queues.deliver).toHaveProperty('waiting');

    const human = await runCli(['status', '--hub', hub.url], { CRIER_ADMIN_TOKEN: TOKEN });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^subscriptions\\s+${count}$`, 'm'));
    expect(human.stdout).toMatch(/^queue\s+waiting\s+prioritized\s+active\s+delayed\s+failed$/m);

    const subs = await runCli(['subscriptions', '--json', '--topic', topic], env);
    expect((JSON.parse(subs.stdout) as Array<{ callback: string }>).map((s) => s.callback)).toEqual([`${subscriber.origin}/status`]);
    const table = await runCli(['subscriptions', '--topic', topic], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+delivery\s+format\s+expires\s+callback\s+topic$/);
    expect(table.stdout.split('\n')[1]).toMatch(/^\d+\s+\S+(?: yet)?\s+feed\s/);
    expect(table.stdout).toContain(`${subscriber.origin}/status  ${topic}`);
    const topics = await runCli(['topics', '--url', topic], env);
    expect(topics.stdout).toMatch(new RegExp(`^\\d+\\s+1\\s+.*${topic.replace(/[.]/g, '\\.')}$`, 'm'));

    const noToken = await runCli(['status', '--hub', hub.url]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toBe("crier: set CRIER_ADMIN_TOKEN to the hub's HUB_ADMIN_TOKEN\n");
    const wrong = await runCli(['status', '--hub', hub.url], { CRIER_ADMIN_TOKEN: 'not-the-token-0123456789' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^crier: GET \/admin\/status answered 401: missing or wrong bearer token\n$/);
  });

  test('subscribe --from-opml subscribes a reading list, shows progress and sums up what was accepted or refused', async () => {
    for (const name of ['a', 'b']) publisher.set(`/opml-${name}.xml`, { body: rss([name]), contentType: 'application/rss+xml' });
    const tooLong = `${publisher.origin}/${'x'.repeat(2100)}`;
    const opml = `<?xml version="1.0"?>
<opml version="2.0"><head><title>reading list</title></head><body>
  <outline text="news"><outline type="rss" text="A" xmlUrl="${publisher.topicUrl('/opml-a.xml')}"/>
  <outline type="rss" text="B" xmlUrl="${publisher.topicUrl('/opml-b.xml')}"/></outline>
  <outline type="rss" text="too long" xmlUrl="${tooLong}"/>
</body></opml>`;
    const file = path.join(dir, 'list.opml');
    await fs.writeFile(file, opml);
    const callback = `${subscriber.origin}/opml`;
    const run = await runCli(['subscribe', '--hub', hub.url, '--callback', callback, '--from-opml', file]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    // Not a terminal: one progress line per feed, then the summary.
    for (const line of lines.slice(0, 3)) expect(line).toMatch(/^\[[1-3]\/3\] (accepted|refused) http/);
    expect(lines.slice(0, 3).filter((l) => l.includes(' refused '))).toEqual([expect.stringContaining(tooLong)]);
    expect(lines[3]).toBe('accepted 2, refused 1 of 3 feeds');
    expect(lines[4]).toBe(`refused ${tooLong}: 400 hub.topic is longer than 2048 characters`);
    await waitFor(async () => (await hub.query('select 1 from subscriptions where callback = $1', [callback])).length === 2, {
      what: 'both feeds subscribed',
    });
  });
});
