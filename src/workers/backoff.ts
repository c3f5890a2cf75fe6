/**
 * Delay before retry number `attempt` (1 = first retry): exponential from
 * `baseMs`, with jitter so a burst of failures does not retry in lockstep.
 * Capped at one day.
 */
export function retryDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(exponential, 24 * 60 * 60 * 1000);
  return Math.round(capped * (0.5 + random() * 0.5));
}
