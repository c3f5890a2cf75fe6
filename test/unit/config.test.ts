import fs from 'node:fs';
import path from 'node:path';
import { configTableMarkdown, describeConfig, knownVariables, loadConfig, unknownHubVariables } from '../../src/config.js';
import { settingsTable } from '../../scripts/readme-settings.js';
import { HubError } from '../../src/errors.js';

/** The problems loadConfig reports, one per entry. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('HUB_ERR_CONFIG');
    expect((err as Error).message).not.toMatch(/\n/);
    return (err as Error).message.replace(/^invalid configuration: /, '').split('; ');
  }
  return [];
}

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'http://localhost:8080/',
      role: 'all',
      databaseUrl: undefined,
      dataDir: path.resolve('./data'),
      redisUrl: undefined,
      queuePrefix: 'crier',
      allowPrivateNetworks: false,
      topicAllow: undefined,
      leaseMinSeconds: 60,
      leaseDefaultSeconds: 864000,
      leaseMaxSeconds: 2592000,
      retryBaseMs: 60000,
      maxAttempts: 8,
      maxContentBytes: 5 * 1024 * 1024,
      maxRequestBytes: 64 * 1024,
      trustProxy: false,
      adminToken: undefined,
      logLevel: 'info',
    });
    expect(config.rateLimitPerMinute).toBeGreaterThan(0);
  });

  test('HUB_UPDATE_IGNORE (issue 26): off by default, dates and tracking, anything else refused', () => {
    expect(loadConfig({}).updateIgnore).toEqual([]);
    expect(loadConfig({ HUB_UPDATE_IGNORE: ' tracking,dates ,tracking' }).updateIgnore).toEqual(['tracking', 'dates']);
    expect(() => loadConfig({ HUB_UPDATE_IGNORE: 'dates,titles' })).toThrow(/HUB_UPDATE_IGNORE takes dates and tracking, got "titles"/);
  });

  test('the config is frozen', () => {
    const config = loadConfig({ HUB_TOPIC_ALLOW: 'https://a.example/' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.topicAllow)).toBe(true);
  });

  test('values are read from the environment given, not process.env', () => {
    const config = loadConfig({
      PORT: '9000',
      HUB_ROLE: 'worker',
      DATABASE_URL: 'postgres://u@db.example/crier',
      REDIS_URL: 'redis://cache.example:6379',
      HUB_QUEUE_PREFIX: 'hub_2',
      HUB_ALLOW_PRIVATE_NETWORKS: '1',
      HUB_LEASE_MIN_SECONDS: '10',
      HUB_RETRY_BASE_MS: '250',
      HUB_RATE_LIMIT_PER_MINUTE: '0',
      HUB_ADMIN_TOKEN: 'Xq7-2mZp9Lw4Rt8vKc1_Hd6y',
      LOG_LEVEL: 'silent',
    });
    expect(config).toMatchObject({
      port: 9000,
      publicUrl: 'http://localhost:9000/',
      role: 'worker',
      databaseUrl: 'postgres://u@db.example/crier',
      redisUrl: 'redis://cache.example:6379',
      queuePrefix: 'hub_2',
      allowPrivateNetworks: true,
      leaseMinSeconds: 10,
      retryBaseMs: 250,
      rateLimitPerMinute: 0,
      adminToken: 'Xq7-2mZp9Lw4Rt8vKc1_Hd6y',
      logLevel: 'silent',
    });
  });

  test('HUB_TOPIC_ALLOW is split on commas and each prefix normalised (an origin gains its "/")', () => {
    expect(loadConfig({ HUB_TOPIC_ALLOW: ' https://A.example , http://b.example/feeds/#x' }).topicAllow).toEqual([
      'https://a.example/',
      'http://b.example/feeds/',
    ]);
  });

  test('HUB_CORS_ORIGINS: unset is none, * is any, a list keeps each origin as a browser writes it, a path is refused', () => {
    expect(loadConfig({}).corsOrigins).toBeUndefined();
    expect(loadConfig({ HUB_CORS_ORIGINS: ' * ' }).corsOrigins).toBe('*');
    expect(loadConfig({ HUB_CORS_ORIGINS: 'https://App.example/, http://127.0.0.1:8080,http://b.example:80' }).corsOrigins).toEqual([
      'https://app.example',
      'http://127.0.0.1:8080',
      'http://b.example',
    ]);
    expect(problems({ HUB_CORS_ORIGINS: 'https://a.example/app, ftp://b.example, *.example' })).toEqual([
      'HUB_CORS_ORIGINS entries must be http(s) origins such as https://app.example (no path), or *, got "https://a.example/app"',
      'HUB_CORS_ORIGINS entries must be http(s) origins such as https://app.example (no path), or *, got "ftp://b.example"',
      'HUB_CORS_ORIGINS entries must be http(s) origins such as https://app.example (no path), or *, got "*.example"',
    ]);
  });

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['HUB_PUBLIC_URL', 'not a url'],
    ['HUB_PUBLIC_URL', 'ftp://hub.example/'],
    ['HUB_ROLE', 'boss'],
    ['DATABASE_URL', 'mysql://db.example/x'],
    ['REDIS_URL', 'http://cache.example'],
    ['HUB_QUEUE_PREFIX', 'Has-Dashes'],
    ['HUB_ALLOW_PRIVATE_NETWORKS', 'yes'],
    ['HUB_TOPIC_ALLOW', 'ftp://files.example/'],
    ['HUB_TOPIC_ALLOW', 'https://ok.example/, not a url'],
    ['HUB_LEASE_MIN_SECONDS', '0'],
    ['HUB_LEASE_DEFAULT_SECONDS', '30'],
    ['HUB_LEASE_MAX_SECONDS', '100'],
    ['HUB_RETRY_BASE_MS', 'soon'],
    ['HUB_MAX_ATTEMPTS', '0'],
    ['HUB_MAX_ATTEMPTS', '1000'],
    ['HUB_MAX_CONTENT_BYTES', '10'],
    ['HUB_MAX_REQUEST_BYTES', '1e6'],
    ['HUB_MAX_PUBLISH_URLS', '0'],
    ['HUB_RATE_LIMIT_PER_MINUTE', 'lots'],
    ['HUB_TRUST_PROXY', 'maybe'],
    ['HUB_ADMIN_TOKEN', 'short'],
    ['HUB_METRICS_TOKEN', 'aaaaaaaaaaaaaaaaaaaa'],
    ['HUB_METRICS_PORT', '70000'],
    ['HUB_CONNECT_TIMEOUT_MS', '0'],
    ['HUB_REQUEST_TIMEOUT_MS', '10s'],
    ['HUB_DELIVER_PAGE_SIZE', '100000'],
    ['HUB_DELIVER_CONCURRENCY', '0'],
    ['HUB_ORIGIN_CONNECTIONS', '0'],
    ['HUB_SEEN_ENTRIES_MAX', '0'],
    ['HUB_SEEN_ENTRIES_DAYS', 'forever'],
    ['HUB_SHUTDOWN_TIMEOUT_MS', '-5'],
    ['LOG_LEVEL', 'loud'],
  ])('a bad %s (%s) stops start-up with one problem naming it', (name, value) => {
    const found = problems({ [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(name);
  });

  test('HUB_TRUST_PROXY is off, 1 (one hop, as before) or a list of proxy addresses and ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ HUB_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ HUB_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ HUB_TRUST_PROXY: '10.0.0.5, 192.168.1.0/24,loopback,2001:db8::/32' }).trustProxy).toEqual([
      '10.0.0.5',
      '192.168.1.0/24',
      'loopback',
      '2001:db8::/32',
    ]);
    for (const value of ['2', '10.0.0.0/33', '10.0.0.1/8/8', 'proxy.example', '10.0.0.5,', '::1/129']) {
      expect({ value, problems: problems({ HUB_TRUST_PROXY: value }) }).toEqual({
        value,
        problems: [expect.stringContaining('HUB_TRUST_PROXY')],
      });
    }
  });

  test('a worker serves /metrics on port 9464 unless HUB_METRICS_PORT says otherwise; other roles only on their front', () => {
    expect(loadConfig({ HUB_ROLE: 'worker' })).toMatchObject({ metricsPort: 9464, metricsPortDefaulted: true });
    expect(loadConfig({ HUB_ROLE: 'worker', HUB_METRICS_PORT: '9100' })).toMatchObject({ metricsPort: 9100, metricsPortDefaulted: false });
    expect(loadConfig({})).toMatchObject({ metricsPort: undefined, metricsPortDefaulted: false, metricsToken: undefined });
    expect(loadConfig({ HUB_ROLE: 'web', HUB_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  test('several bad variables are all named in the one error', () => {
    const found = problems({
      PORT: 'x',
      HUB_ROLE: 'boss',
      REDIS_URL: 'http://r',
      HUB_MAX_ATTEMPTS: '0',
      LOG_LEVEL: 'loud',
      HUB_TRUST_PROXY: '2',
    });
    expect(found).toHaveLength(6);
    for (const name of ['PORT', 'HUB_ROLE', 'REDIS_URL', 'HUB_MAX_ATTEMPTS', 'LOG_LEVEL', 'HUB_TRUST_PROXY']) {
      expect(found.some((p) => p.includes(name))).toBe(true);
    }
  });

  test('empty values mean "unset" and take the default', () => {
    expect(loadConfig({ PORT: '', HUB_ROLE: '', REDIS_URL: '', HUB_ALLOW_PRIVATE_NETWORKS: '' })).toMatchObject({
      port: 8080,
      role: 'all',
      redisUrl: undefined,
      allowPrivateNetworks: false,
    });
  });

  test('a secret-bearing value is not echoed back in the error', () => {
    const [problem] = problems({ HUB_ADMIN_TOKEN: 'tiny-secret' });
    expect(problem).not.toContain('tiny-secret');
  });

  test('HUB_ALLOWED_PORTS takes ports and ranges; anything else stops start-up', () => {
    expect(loadConfig({ HUB_ALLOWED_PORTS: '80, 443,8000-8999' }).allowedPorts).toEqual([
      [80, 80],
      [443, 443],
      [8000, 8999],
    ]);
    expect(loadConfig({}).allowedPorts).toBeUndefined();
    expect(problems({ HUB_ALLOWED_PORTS: '80,9-1,x,70000' })).toEqual([
      'HUB_ALLOWED_PORTS entries must be ports or ranges such as 8000-8999, got "9-1"',
      'HUB_ALLOWED_PORTS entries must be ports or ranges such as 8000-8999, got "x"',
      'HUB_ALLOWED_PORTS entries must be ports or ranges such as 8000-8999, got "70000"',
    ]);
  });

  test('HUB_HOST defaults to loopback when private networks are allowed, every interface otherwise', () => {
    expect(loadConfig({}).host).toBeUndefined();
    expect(loadConfig({ HUB_ALLOW_PRIVATE_NETWORKS: '1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HUB_ALLOW_PRIVATE_NETWORKS: '1', HUB_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(problems({ HUB_HOST: 'my host' })).toEqual(['HUB_HOST must be an IP address or localhost, got "my host"']);
  });

  test('HUB_ADMIN_TOKEN and HUB_METRICS_TOKEN must carry 128 bits in form, or start-up stops with one line', () => {
    const form = 'must be at least 32 hex digits or 22 base64url characters (128 bits), e.g. `openssl rand -hex 16`';
    const typed = 'is not random enough (too few distinct characters, or a repeated chunk), make one with `openssl rand -hex 16`';
    // The review's guess, and strings one hex digit or base64url character short.
    expect(problems({ HUB_ADMIN_TOKEN: 'passwordpassword' })).toEqual([`HUB_ADMIN_TOKEN ${form}`]);
    expect(problems({ HUB_ADMIN_TOKEN: '3f9a0c6e1b7d42a58e0f6c3b9d1a7e4' })).toEqual([`HUB_ADMIN_TOKEN ${form}`]);
    expect(problems({ HUB_METRICS_TOKEN: 'Xq7-2mZp9Lw4Rt8vKc1_H' })).toEqual([`HUB_METRICS_TOKEN ${form}`]);
    expect(problems({ HUB_ADMIN_TOKEN: 'k3y with spaces in it and more' })).toEqual([`HUB_ADMIN_TOKEN ${form}`]);
    // Long enough, but typed rather than drawn.
    expect(problems({ HUB_ADMIN_TOKEN: 'a'.repeat(32) })).toEqual([`HUB_ADMIN_TOKEN ${typed}`]);
    expect(problems({ HUB_ADMIN_TOKEN: 'passwordpasswordpassword' })).toEqual([`HUB_ADMIN_TOKEN ${typed}`]);
    expect(problems({ HUB_METRICS_TOKEN: '0123456789ab'.repeat(3) })).toEqual([`HUB_METRICS_TOKEN ${typed}`]);
    // What `openssl rand -hex 16` and `openssl rand -base64 16` (URL-safe, unpadded) make.
    expect(problems({ HUB_ADMIN_TOKEN: '3f9a0c6e1b7d42a58e0f6c3b9d1a7e45' })).toEqual([]);
    expect(problems({ HUB_ADMIN_TOKEN: '3F9A0C6E1B7D42A58E0F6C3B9D1A7E45' })).toEqual([]);
    expect(problems({ HUB_METRICS_TOKEN: 'Xq7-2mZp9Lw4Rt8vKc1_Hd' })).toEqual([]);
  });
});

describe('the settings and their documentation', () => {
  test('a misspelt HUB_* variable is reported, a known one is not', () => {
    expect(unknownHubVariables({ HUB_FETCH_CONCURENCY: '3', HUB_FETCH_CONCURRENCY: '3', PATH: '/bin' })).toEqual(['HUB_FETCH_CONCURENCY']);
  });

  test('the README configuration table is the one the settings generate (npm run docs:config)', () => {
    const readme = fs.readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
    expect(settingsTable(readme)).toBe(configTableMarkdown());
  });

  test('every setting is named once, in the table and in crier config', () => {
    const known = knownVariables();
    expect(new Set(known).size).toBe(known.length);
    const table = configTableMarkdown();
    for (const name of known) expect(table).toContain(`| \`${name}\` |`);
    expect(
      describeConfig(loadConfig({}))
        .map(([name]) => name)
        .sort(),
    ).toEqual(known);
  });
});
