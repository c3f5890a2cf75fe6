import net from 'node:net';
import type { PortRange } from './net/address-guard.js';

/** What a setting's reader says about a bad value: one line naming the variable, never echoing a secret. */
export class SettingProblem extends Error {}

/** The settings read so far, for defaults that follow another setting (HUB_FETCH_PER_HOST from HUB_FETCH_CONCURRENCY). */
export type Prior = Readonly<Record<string, unknown>>;

/**
 * One environment variable: how it is read, what the README says of it, and how `crier config`
 * shows it. `read` gets the raw value (undefined or '' when unset) and throws SettingProblem.
 */
export interface Setting<T> {
  env: string;
  /** The README's "meaning" cell (Markdown). */
  doc: string;
  /** The README's "default" cell (Markdown). */
  defaultText: string;
  read(raw: string | undefined, prior: Prior): T;
  /** How `crier config` prints the value; keys and tokens only as set. */
  show?(value: T): string;
}

type Spec<T> = { env: string; doc: string; defaultText?: string; show?: (value: T) => string };
type Fallback<T> = T | ((prior: Prior) => T);

const unset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';
const fallback = <T>(value: Fallback<T>, prior: Prior): T => (typeof value === 'function' ? (value as (p: Prior) => T)(prior) : value);

/** A whole number within [min, max]. */
export function int(spec: Spec<number> & { default: Fallback<number>; min: number; max?: number }): Setting<number> {
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  return {
    ...spec,
    defaultText: spec.defaultText ?? String(spec.default),
    read(raw, prior) {
      if (unset(raw)) return fallback(spec.default, prior);
      if (!/^\d+$/.test(raw.trim())) throw new SettingProblem(`${spec.env} must be a whole number, got "${raw}"`);
      const value = Number(raw.trim());
      if (value < spec.min || value > max) throw new SettingProblem(`${spec.env} must be between ${spec.min} and ${max}, got ${value}`);
      return value;
    },
  };
}

/** `1`/`true` or `0`/`false`; unset is off unless `default` says on. */
export function flag(spec: Spec<boolean> & { default?: boolean }): Setting<boolean> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? (spec.default ? 'on' : 'off'),
    read(raw) {
      if (unset(raw)) return spec.default ?? false;
      if (raw === '0' || raw === 'false') return false;
      if (raw === '1' || raw === 'true') return true;
      throw new SettingProblem(`${spec.env} must be 1 or 0, got "${raw}"`);
    },
  };
}

/** One of a fixed list of words. */
export function oneOf<T extends string>(spec: Spec<T> & { values: readonly T[]; default: T }): Setting<T> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? `\`${spec.default}\``,
    read(raw) {
      if (unset(raw)) return spec.default;
      if ((spec.values as readonly string[]).includes(raw)) return raw as T;
      throw new SettingProblem(`${spec.env} must be one of ${spec.values.join(', ')}, got "${raw}"`);
    },
  };
}

/** A URL with one of `schemes`; unset gives the fallback. */
export function url<T extends string | undefined>(
  spec: Spec<T> & { schemes: readonly string[]; default: Fallback<T> },
): Setting<string | T> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? 'unset',
    read(raw, prior) {
      if (unset(raw)) return fallback(spec.default, prior);
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        throw new SettingProblem(`${spec.env} is not a valid URL`);
      }
      if (!spec.schemes.includes(parsed.protocol))
        throw new SettingProblem(`${spec.env} must use ${spec.schemes.join(' or ')}, got "${parsed.protocol}"`);
      return raw;
    },
  };
}

/** Free text checked by `valid`, which returns a problem or nothing. */
export function text<T extends string | undefined>(
  spec: Spec<string | T> & { default: Fallback<T>; valid?: (value: string) => string | undefined },
): Setting<string | T> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? (spec.default === undefined ? 'unset' : `\`${String(spec.default)}\``),
    read(raw, prior) {
      if (unset(raw)) return fallback(spec.default, prior);
      const problem = spec.valid?.(raw);
      if (problem) throw new SettingProblem(`${spec.env} ${problem}`);
      return raw;
    },
  };
}

/** An IP address to bind, or localhost. */
export function hostAddress(spec: Spec<string | undefined> & { default: Fallback<string | undefined> }): Setting<string | undefined> {
  return text<string | undefined>({
    ...spec,
    valid: (v) => (net.isIP(v) === 0 && v !== 'localhost' ? `must be an IP address or localhost, got "${v}"` : undefined),
  });
}

type ListItem<T> = { value: T; problem?: undefined } | { problem: string };

/** A comma-separated list read item by item; every bad item is named in one SettingProblem. Empty items are skipped unless kept. */
function readList<T>(raw: string, readItem: (item: string) => ListItem<T>, options: { keepEmpty?: boolean } = {}): readonly T[] {
  const items = raw.split(',').map((item) => item.trim());
  const list: T[] = [];
  const problems: string[] = [];
  for (const item of options.keepEmpty ? items : items.filter(Boolean)) {
    const read = readItem(item);
    if (read.problem === undefined) list.push(read.value);
    else problems.push(read.problem);
  }
  if (problems.length) throw new SettingProblem(problems.join('; '));
  return Object.freeze(list);
}

/**
 * Comma-separated http(s) URL prefixes in normal form (an origin gains its "/",
 * so https://a.example never matches https://a.example.evil/).
 */
export function urlPrefixes(spec: Spec<readonly string[] | undefined>): Setting<readonly string[] | undefined> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? 'unset',
    read(raw) {
      if (raw === undefined || raw.trim() === '') return undefined;
      return readList(raw, (item): ListItem<string> => {
        try {
          const parsed = new URL(item);
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
            return { problem: `${spec.env} entries must be http or https URLs, got "${item}"` };
          parsed.hash = '';
          return { value: parsed.href };
        } catch {
          return { problem: `${spec.env} entries must be URLs, got "${item}"` };
        }
      });
    },
  };
}

/** Browser origins allowed to read: `*` (any), or a comma-separated list of `scheme://host[:port]`; unset is none. */
export type CorsOrigins = '*' | readonly string[] | undefined;

/** `*` or comma-separated http(s) origins (`https://app.example`, no path), kept as a browser sends them in Origin. */
export function origins(spec: Spec<CorsOrigins>): Setting<CorsOrigins> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? 'unset (none)',
    read(raw) {
      if (raw === undefined || raw.trim() === '') return undefined;
      if (raw.trim() === '*') return '*';
      return readList(raw, (item): ListItem<string> => {
        const parsed = URL.canParse(item) ? new URL(item) : undefined;
        const bare = parsed && parsed.pathname === '/' && !parsed.search && !parsed.hash && !parsed.username && !parsed.password;
        if (!bare || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
          return { problem: `${spec.env} entries must be http(s) origins such as https://app.example (no path), or *, got "${item}"` };
        return { value: parsed.origin };
      });
    },
  };
}

/** Comma-separated ports or ranges (`80,443,8000-8999`). */
export function portRanges(spec: Spec<readonly PortRange[] | undefined>): Setting<readonly PortRange[] | undefined> {
  return {
    ...spec,
    defaultText: spec.defaultText ?? 'unset',
    read(raw) {
      if (raw === undefined || raw.trim() === '') return undefined;
      return readList(
        raw,
        (item): ListItem<PortRange> => {
          const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
          const lo = Number(m?.[1]);
          const hi = Number(m?.[2] ?? m?.[1]);
          if (!m || lo < 1 || hi > 65535 || lo > hi)
            return { problem: `${spec.env} entries must be ports or ranges such as 8000-8999, got "${item}"` };
          return { value: [lo, hi] };
        },
        { keepEmpty: true },
      );
    },
  };
}
