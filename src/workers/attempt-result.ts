/** What one signed POST to a callback came to (deliver.ts sends it; initial-delivery.ts reads it too). */
export type AttemptResult =
  | { ok: true }
  | { ok: false; gone: boolean; status: number | null; error: string }
  /** Not attempted: the origin's circuit is open, or an operator paused its host, until `retryAt`. */
  | { ok: false; deferred: true; retryAt: number; error: string };
