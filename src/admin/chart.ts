import type { MinuteCount } from '../db/index.js';

export interface Chart {
  width: number;
  height: number;
  max: number;
  total: number;
  label: string;
  bars: Array<{
    x: number;
    width: number;
    deliveredY: number;
    deliveredHeight: number;
    failedY: number;
    failedHeight: number;
    title: string;
  }>;
}

/**
 * Bars for the last `minutes` minutes ending at `now`, delivered stacked on
 * failed, scaled to the busiest minute: drawn as SVG by the overview, no script.
 */
export function minuteChart(counts: MinuteCount[], now = new Date(), minutes = 60): Chart {
  const width = 600;
  const height = 120;
  const slot = width / minutes;
  const byMinute = new Map(counts.map((c) => [Math.floor(c.minute.getTime() / 60_000), c]));
  const last = Math.floor(now.getTime() / 60_000);
  const rows = Array.from({ length: minutes }, (_, i) => {
    const minute = last - minutes + 1 + i;
    const c = byMinute.get(minute);
    return { minute, delivered: c?.delivered ?? 0, failed: c?.failed ?? 0 };
  });
  const max = Math.max(0, ...rows.map((r) => r.delivered + r.failed));
  const total = rows.reduce((sum, r) => sum + r.delivered + r.failed, 0);
  const scale = max === 0 ? 0 : (height - 4) / max;
  const bars = rows.map((r, i) => {
    const deliveredHeight = round(r.delivered * scale);
    const failedHeight = round(r.failed * scale);
    const time = new Date(r.minute * 60_000).toISOString().slice(11, 16);
    return {
      x: round(i * slot + 1),
      width: round(Math.max(1, slot - 2)),
      failedY: round(height - 1 - failedHeight),
      failedHeight,
      deliveredY: round(height - 1 - failedHeight - deliveredHeight),
      deliveredHeight,
      title: `${time} UTC: ${r.delivered} delivered, ${r.failed} failed`,
    };
  });
  return { width, height, max, total, bars, label: `deliveries per minute over the last ${minutes} minutes, peak ${max}` };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
