import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BACKENDS, type TestHub, HUB_START_TIMEOUT } from '../helpers/hub.js';
import { rss } from '../helpers/feeds.js';
import type { Publisher, Subscriber } from '../helpers/servers.js';
import { startHubWithPeers, stopHubWithPeers } from '../helpers/peers.js';
import { describeWith, executable } from '../helpers/programs.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const PHP = process.env.CRIER_PHP ?? 'php';
const AUTOLOAD = process.env.CRIER_PHP_PUBLISHER ?? '/usr/share/php/Pubsubhubbub/Publisher/autoload.php';
const INSTALL = 'apt-get install php-cli php-curl php-pubsubhubbub-publisher';

/** Pings the hub with Debian's php-pubsubhubbub-publisher (installed by .ci/run); prints its verdict and the hub's answer. */
const PING = `
require $argv[1];
$p = new pubsubhubbub\\publisher\\Publisher($argv[2]);
$ok = $p->publish_update(array_slice($argv, 3));
echo ($ok ? 'published' : 'refused: ' . $p->last_response()), "\\n";
`;

/**
 * A publisher nobody here wrote: the PHP PubSubHubbub publisher library from
 * Debian's packages pings Crier for two topics in one request (issue 12); its
 * success test is a 204, and both topics' subscribers get their new entries.
 */
describeWith(
  { what: `php (${PHP})`, found: executable(PHP), install: `${INSTALL}, or set CRIER_PHP` },
  { what: `the PHP publisher at ${AUTOLOAD}`, found: fs.existsSync(AUTOLOAD), install: `${INSTALL}, or set CRIER_PHP_PUBLISHER` },
).each(BACKENDS)('the PHP pubsubhubbub publisher on %s', (backend) => {
  let hub: TestHub;
  let publisher: Publisher;
  let subscriber: Subscriber;

  beforeAll(async () => {
    ({ hub, publisher, subscriber } = await startHubWithPeers(backend));
  }, HUB_START_TIMEOUT);
  afterAll(() => stopHubWithPeers({ hub, publisher, subscriber }));

  const ping = async (...topics: string[]) => (await run(PHP, ['-r', PING, AUTOLOAD, hub.url, ...topics])).stdout.trim();
  const deliveriesTo = (path: string) => subscriber.deliveries().filter((d) => d.url === path);

  test('H17 H20: one ping for two topics is answered 204 and each subscriber gets only its new entries', async () => {
    const topics = ['/php-a.xml', '/php-b.xml'];
    for (const path of topics) {
      publisher.set(path, { body: rss([`${path}-1`]), contentType: 'application/rss+xml' });
      await hub.subscribeAndWait(`${subscriber.origin}/cb${path}`, publisher.topicUrl(path));
    }
    expect(await ping(...topics.map((p) => publisher.topicUrl(p)))).toBe('published');
    await waitFor(() => topics.every((p) => deliveriesTo(`/cb${p}`).length === 1), { what: 'a delivery per topic' });

    publisher.set('/php-a.xml', { body: rss(['/php-a.xml-2', '/php-a.xml-1']), contentType: 'application/rss+xml' });
    expect(await ping(publisher.topicUrl('/php-a.xml'))).toBe('published');
    await waitFor(() => deliveriesTo('/cb/php-a.xml').length === 2, { what: 'the second delivery' });
    const second = deliveriesTo('/cb/php-a.xml')[1].body.toString();
    expect(second).toContain('<guid>/php-a.xml-2</guid>');
    expect(second).not.toContain('<guid>/php-a.xml-1</guid>');
  });
});
