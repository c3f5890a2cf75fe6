import type { Backend } from './hub.js';
import type { BenchChild } from './child.js';

/** What every scenario is given. */
export interface BenchContext {
  quick: boolean;
  servers: BenchChild;
  raw: BenchChild;
  sinkPorts: number[];
  publisherPort: number;
  profileDir: string | undefined;
  /** Extra environment for every hub (`--hub-env KEY=VALUE`), e.g. to try other defaults. */
  hubEnv: Record<string, string>;
  /** crier.format of the fan-out's subscriptions (`--format json`): JSON Feed deliveries, rendered once per notification. */
  format: 'feed' | 'json';
  log(line: string): void;
}

/** One line of the results table: the hub's figure against the baseline measured in the same run. */
export interface Row {
  scenario: string;
  backend: Backend | '-';
  n: number;
  metric: string;
  hub: number;
  baseline: number | null;
  baselineLabel: string;
  /** hub / baseline for rates (higher is better), baseline multiples for latencies (lower is better). */
  ratio: number | null;
  target?: string;
  met?: boolean;
  note?: string;
  extra?: Record<string, unknown>;
}

export const now = () => performance.timeOrigin + performance.now();
export const unique = () => Math.random().toString(36).slice(2, 8);
export const sinkUrl = (ctx: BenchContext, i: number, path: string) =>
  `http://127.0.0.1:${ctx.sinkPorts[i % ctx.sinkPorts.length]}/s/${path}`;
export const feedUrl = (ctx: BenchContext, name: string) => `http://127.0.0.1:${ctx.publisherPort}/feed/${name}`;
