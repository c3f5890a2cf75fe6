import { HubError } from './errors.js';
import { SettingProblem } from './setting-kinds.js';
import { CROSS_CHECKS, DERIVED, SETTINGS, type Config } from './settings.js';

export type { Config, HubRole } from './settings.js';

type Env = Record<string, string | undefined>;
type SettingKey = keyof typeof SETTINGS;
const ENTRIES = Object.entries(SETTINGS) as Array<[SettingKey, (typeof SETTINGS)[SettingKey]]>;

/** Names of every variable a setting reads, sorted. */
export function knownVariables(): string[] {
  return ENTRIES.map(([, s]) => s.env).sort();
}

/**
 * HUB_* variables in `env` that no setting reads: most likely misspelt
 * (HUB_FETCH_CONCURENCY), and otherwise ignored in silence. Start-up warns.
 */
export function unknownHubVariables(env: Env = process.env): string[] {
  const known = new Set(knownVariables());
  return Object.keys(env)
    .filter((name) => name.startsWith('HUB_') && !known.has(name))
    .sort();
}

/** Reads and validates every setting (src/settings.ts); throws one HubError naming each bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, setting] of ENTRIES) {
    try {
      config[key] = (setting.read as (raw: string | undefined, prior: typeof config) => unknown)(env[setting.env], config);
    } catch (err) {
      if (!(err instanceof SettingProblem)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length === 0) for (const check of CROSS_CHECKS) problems.push(...[check(config)].filter((p) => p !== undefined));
  if (problems.length > 0) throw new HubError('HUB_ERR_CONFIG', `invalid configuration: ${problems.join('; ')}`);
  for (const [key, derive] of Object.entries(DERIVED)) config[key] = derive(env, config);
  return Object.freeze(config) as Config;
}

/** The effective settings as VARIABLE=value lines for `crier config`: keys and tokens shown only as set, URL passwords masked. */
export function describeConfig(config: Config): Array<[string, string]> {
  return ENTRIES.map(([key, setting]): [string, string] => {
    const value = config[key];
    const show = (setting as { show?: (v: unknown) => string }).show;
    return [setting.env, show ? show(value) : value === undefined ? 'unset' : JSON.stringify(value)];
  });
}

/** The README's configuration table, generated from the settings (`npm run docs:config` writes it). */
export function configTableMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = ENTRIES.map(([, s]) => `| \`${s.env}\` | ${cell(s.doc)} | ${cell(s.defaultText)} |`);
  return ['| variable | meaning | default |', '| --- | --- | --- |', ...rows].join('\n');
}

/** What the client commands of the CLI (`crier status`, ...) read: they talk to a hub, they do not run one. */
export interface ClientSettings {
  /** CRIER_HUB_URL: the hub the admin commands ask. Default http://localhost:8080/. */
  hubUrl: string;
  /** CRIER_ADMIN_TOKEN: the hub's HUB_ADMIN_TOKEN, sent as a bearer token. */
  adminToken: string | undefined;
}

export function loadClientSettings(env: Env = process.env): ClientSettings {
  return { hubUrl: env.CRIER_HUB_URL || 'http://localhost:8080/', adminToken: env.CRIER_ADMIN_TOKEN || undefined };
}
