/**
 * A row id as a path or query writes it: digits only, at most 15 of them, so
 * the number is exact and PostgreSQL never sees 1e30 or -1 (a 500); else
 * undefined, for the caller to answer as it should (404, 400 or a default).
 */
export function parseRowId(raw: unknown): number | undefined {
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}
