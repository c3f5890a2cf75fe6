import { HubError } from '../errors.js';

const MAX_URL_LENGTH = 2048;

/** RFC 3986 §2.3 unreserved characters: percent-encoding them changes nothing, so undo it (H6). */
function normalisePercentEncoding(raw: string): string {
  return raw.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Validates a hub.callback / hub.topic / hub.url value and returns its
 * normal form: http(s) only, at most 2048 characters, no credentials.
 */
export function parseHubUrl(raw: string | undefined, field: 'hub.callback' | 'hub.topic' | 'hub.url'): string {
  const code = field === 'hub.callback' ? 'HUB_ERR_PARAM_CALLBACK_INVALID' : 'HUB_ERR_PARAM_TOPIC_INVALID';
  if (raw === undefined || raw.trim() === '') throw new HubError(code, `${field} is required`);
  if (raw.length > MAX_URL_LENGTH) throw new HubError('HUB_ERR_PARAM_URL_TOO_LONG', `${field} is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(normalisePercentEncoding(raw.trim()));
  } catch {
    throw new HubError(code, `${field} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubError(code, `${field} must be an http or https URL`);
  if (url.username || url.password) throw new HubError('HUB_ERR_PARAM_URL_CREDENTIALS', `${field} must not carry credentials`);
  url.hash = '';
  const normal = url.href;
  if (normal.length > MAX_URL_LENGTH)
    throw new HubError('HUB_ERR_PARAM_URL_TOO_LONG', `${field} is longer than ${MAX_URL_LENGTH} characters`);
  return normal;
}
