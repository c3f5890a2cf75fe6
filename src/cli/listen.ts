import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { parseFeed } from '../feeds/index.js';
import { SIGNATURE_ALGORITHMS } from '../secret-formats.js';
import { accepted, describeAnswer, httpUrl, postForm } from './client.js';
import { oneLine, printable, printableJson } from './printable.js';

interface ListenOptions {
  port: string;
  host: string;
  secret?: string;
  secretFile?: string;
  hub?: string;
  topic?: string;
  callbackUrl?: string;
  lease?: string;
  json?: boolean;
}

/** Largest delivery body read; more is refused with 413. */
const MAX_BODY = 10 * 1024 * 1024;
/** How long a Ctrl-C waits for the hub to verify the unsubscription. */
const UNSUBSCRIBE_WAIT_MS = 10_000;
/** WebSub §5.1: hub.secret MUST be less than 200 bytes. */
const MAX_SECRET_BYTES = 199;

export type SignatureCheck = 'valid' | 'invalid' | 'missing' | 'unchecked';

/** WebSub §8: the HMAC of the exact body with the secret, compared in constant time. */
export function checkSignature(body: Buffer, header: string | undefined, secret: string | undefined): SignatureCheck {
  if (secret === undefined) return 'unchecked';
  if (!header) return 'missing';
  const [algorithm, hex] = header.split('=', 2);
  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(algorithm) || !hex) return 'invalid';
  const expected = crypto.createHmac(algorithm, secret).update(body).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}

/** A request header as one string (repeated ones joined). */
function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What `listen` prints of one delivery. */
function describeDelivery(req: http.IncomingMessage, body: Buffer, secret: string | undefined) {
  const outcome = parseFeed(body, req.headers['content-type']);
  const entries = outcome.kind === 'feed' ? outcome.doc.entries.map((e) => ({ id: e.id, title: e.title, link: e.link })) : [];
  return {
    event: 'delivery' as const,
    path: req.url ?? '/',
    bytes: body.length,
    headers: req.headers,
    signature: checkSignature(body, headerOf(req, 'x-hub-signature'), secret),
    document: outcome.kind === 'feed' ? outcome.doc.format : outcome.kind,
    entries,
  };
}

/** The delivery as lines of text; every value from the wire is made printable and kept to its line. */
function printDelivery(d: ReturnType<typeof describeDelivery>, refused: boolean): string {
  const id = d.headers['x-hub-delivery'];
  const lines = [`delivery${id ? ` ${oneLine(String(id))}` : ''} (${d.bytes} bytes) to ${oneLine(d.path)}`];
  for (const [name, value] of Object.entries(d.headers))
    lines.push(`  ${oneLine(name)}: ${oneLine(Array.isArray(value) ? value.join(', ') : (value ?? ''))}`);
  lines.push(`  signature: ${d.signature}${refused ? ' (refused with 403)' : ''}`);
  lines.push(`  document: ${d.document}, ${d.entries.length} entries`);
  for (const e of d.entries) lines.push(`  - ${oneLine(e.title ?? '(untitled)')}${e.link ? ` <${oneLine(e.link)}>` : ''}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The secret deliveries are checked with, from --secret-file or CRIER_SECRET so that it is not
 * in the process list; --secret still works, with a warning. With --hub and none of them, listen
 * makes a random one.
 */
function readSecret(options: ListenOptions, env: NodeJS.ProcessEnv, hub: string | undefined): string | undefined {
  if (options.secret !== undefined && options.secretFile !== undefined) throw new Error('give --secret-file or --secret, not both');
  let secret: string | undefined;
  if (options.secretFile !== undefined) {
    try {
      secret = fs.readFileSync(options.secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(`--secret-file: cannot read ${options.secretFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        cause: err,
      });
    }
    if (secret === '') throw new Error(`--secret-file: ${options.secretFile} is empty`);
  } else if (options.secret !== undefined) {
    process.stderr.write('crier listen: --secret shows the secret to every user of this machine (ps); use --secret-file or CRIER_SECRET\n');
    secret = options.secret;
  } else if (env.CRIER_SECRET) {
    secret = env.CRIER_SECRET;
  }
  if (secret !== undefined && Buffer.byteLength(secret) > MAX_SECRET_BYTES) throw new Error('the secret must be less than 200 bytes');
  return secret ?? (hub ? crypto.randomBytes(16).toString('hex') : undefined);
}

/**
 * `crier listen`: a subscriber in one command. It answers verification
 * challenges (given --topic, for that topic only), prints every delivery
 * (headers, signature check, entries through the feed engine; with a secret, one
 * without a valid signature is refused) and, given --hub and --topic, subscribes
 * itself and unsubscribes on Ctrl-C or SIGTERM.
 */
export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('run a callback server that answers verifications and prints each delivery')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--secret-file <path>',
      'check X-Hub-Signature with the secret in this file, or in CRIER_SECRET (with --hub, a random one is made when neither is given)',
    )
    .option('--secret <secret>', 'deprecated: the secret on the command line, visible to every user in ps')
    .option('--hub <url>', 'subscribe to --topic at this hub once listening, unsubscribe on exit')
    .option('--topic <url>', 'confirm verifications of this topic only; with --hub, the topic to subscribe to')
    .option('--callback-url <url>', 'the callback URL to give the hub (default: the listening address)')
    .option('--lease <seconds>', 'hub.lease_seconds of the subscription')
    .option('--json', 'print one JSON object per line for scripts')
    .action(async (options: ListenOptions) => {
      if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) throw new Error('--port must be a port number');
      if (options.hub !== undefined && options.topic === undefined) throw new Error('give --topic with --hub');
      if (options.lease !== undefined && !/^\d+$/.test(options.lease)) throw new Error('--lease must be a whole number of seconds');
      const hub = options.hub === undefined ? undefined : httpUrl(options.hub, '--hub');
      const topic = options.topic === undefined ? undefined : httpUrl(options.topic, '--topic');
      const secret = readSecret(options, process.env, hub);
      await listen({ ...options, hub, topic, secret });
    });
}

async function listen(options: ListenOptions): Promise<void> {
  // What others wrote reaches the terminal only without its escape sequences.
  const say: Say = (event, text) =>
    process.stdout.write(options.json ? `${printableJson(event)}\n` : printable(text.endsWith('\n') ? text : `${text}\n`));
  // Only the topic it was asked for is confirmed: nobody can subscribe this listener to anything else.
  const wanted = (topic: string) => options.topic === undefined || sameUrl(topic, options.topic);
  const confirmations: Confirmations = { verified: new Set() };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://callback');
    if (req.method === 'GET') return answerVerification(url, res, { say, wanted, confirmations });
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    receiveDelivery(req, res, say, options.secret);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.port), options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const callback = options.callbackUrl ? httpUrl(options.callbackUrl, '--callback-url') : `http://${host}:${address.port}/`;
  say({ event: 'listening', url: callback }, `listening on ${callback}`);

  let subscribed = false;
  if (options.hub && options.topic) {
    const fields = {
      'hub.callback': callback,
      'hub.topic': options.topic,
      'hub.secret': options.secret,
      'hub.lease_seconds': options.lease,
    };
    const answer = await postForm(options.hub, { 'hub.mode': 'subscribe', ...fields });
    say({ event: 'subscribe', status: answer.status, body: answer.body }, `subscribe: ${describeAnswer(answer)}`);
    subscribed = accepted(answer);
    if (!subscribed) process.exitCode = 1;
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (subscribed && options.hub && options.topic) await unsubscribe(options.hub, options.topic, callback, { say, confirmations });
    server.close();
    server.closeAllConnections();
    process.exit(process.exitCode ?? 0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

type Say = (event: Record<string, unknown>, text: string) => void;

/** The verifications the listener confirmed, and who waits to hear of the next one. */
interface Confirmations {
  verified: Set<string>;
  onVerified?: () => void;
}

/** A GET: a verification of intent (confirmed for the wanted topic only) or a denial notice. */
function answerVerification(
  url: URL,
  res: http.ServerResponse,
  { say, wanted, confirmations }: { say: Say; wanted: (topic: string) => boolean; confirmations: Confirmations },
): void {
  const mode = url.searchParams.get('hub.mode');
  const topic = url.searchParams.get('hub.topic') ?? '';
  const challenge = url.searchParams.get('hub.challenge');
  if (mode === 'denied') {
    say(
      { event: 'denied', topic, reason: url.searchParams.get('hub.reason') },
      `denied ${oneLine(topic)}: ${oneLine(url.searchParams.get('hub.reason') ?? '')}`,
    );
    res.writeHead(200).end();
    return;
  }
  if ((mode === 'subscribe' || mode === 'unsubscribe') && challenge !== null && !wanted(topic)) {
    say({ event: 'refused', mode, topic }, `refused ${mode} of ${oneLine(topic)}: not the topic this listener was given`);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not a topic this listener subscribes to\n');
    return;
  }
  if ((mode === 'subscribe' || mode === 'unsubscribe') && challenge !== null) {
    const lease = url.searchParams.get('hub.lease_seconds');
    say(
      { event: 'verify', mode, topic, lease: lease === null ? null : Number(lease) },
      `verified ${mode} of ${oneLine(topic)}${lease ? ` (lease ${oneLine(lease)} s)` : ''}`,
    );
    confirmations.verified.add(`${mode} ${topic}`);
    confirmations.onVerified?.();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(challenge);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not a WebSub verification\n');
}

/** A POST: a delivery, printed, and refused when a secret is set and its signature does not check. */
function receiveDelivery(req: http.IncomingMessage, res: http.ServerResponse, say: Say, secret: string | undefined): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return;
    const delivery = describeDelivery(req, Buffer.concat(chunks), secret);
    // With a secret, an unsigned or wrongly signed body did not come from the hub: refused, so the sender knows
    // (WebSub §8 has subscribers answer 2xx and drop it quietly; a tool for looking at deliveries says so instead).
    const refused = delivery.signature === 'missing' || delivery.signature === 'invalid';
    say({ ...delivery, refused }, printDelivery(delivery, refused));
    if (refused) res.writeHead(403, { 'content-type': 'text/plain' }).end(`signature ${delivery.signature}\n`);
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
}

/** On exit: unsubscribes, and waits a while for the hub's verification GET, which this server must stay up to answer. */
async function unsubscribe(
  hub: string,
  topic: string,
  callback: string,
  { say, confirmations }: { say: Say; confirmations: Confirmations },
) {
  const key = `unsubscribe ${topic}`;
  const confirmed = new Promise<void>((resolve) => {
    confirmations.onVerified = () => confirmations.verified.has(key) && resolve();
  });
  try {
    const answer = await postForm(hub, { 'hub.mode': 'unsubscribe', 'hub.callback': callback, 'hub.topic': topic });
    say({ event: 'unsubscribe', status: answer.status, body: answer.body }, `unsubscribe: ${describeAnswer(answer)}`);
    // The hub verifies the unsubscription with a GET to this server: stay up to answer it.
    if (accepted(answer) && answer.status !== 204)
      await Promise.race([confirmed, new Promise((resolve) => setTimeout(resolve, UNSUBSCRIBE_WAIT_MS).unref())]);
  } catch (err) {
    process.stderr.write(`crier listen: unsubscribe failed: ${(err as Error).message}\n`);
  }
}

/** Two URLs are one topic when their parsed forms match (the hub may send it normalised: case of host, default port). */
function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}
