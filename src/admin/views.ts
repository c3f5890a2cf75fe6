import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/**
 * The console's templates (`views/`) and stylesheet (`public/`), beside this module: src/admin under
 * ts-jest and tsx, dist/admin when built (`npm run build` copies them there), so dist/ runs alone.
 */
export const CONSOLE_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface Views {
  render(name: string, data: Record<string, unknown>): string;
}

/** Eta escapes every `<%= %>` value (autoEscape): topic and callback URLs and feed titles come from strangers. */
export function createViews(): Views {
  const eta = new Eta({ views: path.join(CONSOLE_DIR, 'views'), autoEscape: true, cache: true });
  return {
    render: (name, data) => eta.render(`./${name}`, { time, safeHref, ...data }),
  };
}

/** A timestamp as UTC to the second, or an empty string. */
function time(value: Date | string | null | undefined): string {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? '' : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A link target only when it is http(s): a feed may carry `javascript:` links. */
function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
