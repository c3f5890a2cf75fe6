/**
 * WebSub §5.3 (H7): the hub's parameters are appended to the
 * callback's own query string with `&`, never replacing what is there.
 */
export function withQuery(callback: string, params: Record<string, string | undefined>): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  const hashAt = callback.indexOf('#');
  const base = hashAt === -1 ? callback : callback.slice(0, hashAt);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}${query}`;
}
