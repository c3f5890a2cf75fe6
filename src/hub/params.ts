import type { Config } from '../config.js';
import { HubError } from '../errors.js';
import type { DeliveryFormat } from '../db/index.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../secret-formats.js';
import { DEFAULT_COUNT, MAX_COUNT } from './retrieve-params.js';
import { parseHubUrl } from './urls.js';
import { wholeNumber } from './whole-number.js';

/** crier.initial: entries at most in the delivery that follows a verification. */
export const MAX_INITIAL_ENTRIES = 50;

export type HubRequest =
  | {
      mode: 'subscribe' | 'unsubscribe';
      callback: string;
      topic: string;
      /** Clamped to the hub's bounds; undefined on unsubscribe (H3). */
      leaseSeconds: number | undefined;
      secret: string | undefined;
      /** PubSubHubbub 0.3 hub.verify_token, echoed in the verification (H26). */
      verifyToken: string | undefined;
      /**
       * The HMAC the deliveries are signed with: `hub.signature_algorithm` when given, else sha1 for a
       * PubSubHubbub 0.3/0.4 client (its request carries hub.verify; those specs know only sha1), else
       * undefined: the operator's HUB_SIGNATURE_ALGORITHM.
       */
      signatureAlgorithm: SignatureAlgorithm | undefined;
      /** PubSubHubbub 0.3: `sync` when hub.verify says so alone or first; WebSub verifies asynchronously. */
      verify: 'sync' | 'async';
      /** crier.format; undefined keeps a renewed subscription's format (`feed` for a new one). */
      format: DeliveryFormat | undefined;
      /** crier.initial: entries delivered once right after verification; 0 for none. */
      initial: number;
    }
  | { mode: 'publish'; urls: string[] }
  /** Crier's extension: re-send the topic's last `count` notifications to one subscription. */
  | { mode: 'replay'; callback: string; topic: string; count: number };

type LeaseBounds = Pick<Config, 'leaseMinSeconds' | 'leaseDefaultSeconds' | 'leaseMaxSeconds' | 'maxPublishUrls'>;

/** The single value of a field; a field repeated with different values is ambiguous. */
function single(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  // PostgreSQL text cannot hold NUL; no hub.* value has a use for one.
  if (values.some((v) => v.includes('\u0000'))) throw new HubError('HUB_ERR_PARAM_ENCODING', `${name} must not contain NUL characters`);
  if (values.length > 1 && values.some((v) => v !== values[0])) {
    throw new HubError('HUB_ERR_PARAM_REPEATED', `${name} was given more than once with different values`);
  }
  return values[0];
}

/**
 * Turns the form fields of `POST /` into a typed request, or a HubError with
 * a one-line reason. Unknown parameters are ignored (H4).
 */
export function parseHubRequest(form: URLSearchParams, bounds: LeaseBounds): HubRequest {
  const mode = single(form, 'hub.mode');
  if (mode === undefined || mode === '') throw new HubError('HUB_ERR_PARAM_MODE_MISSING');
  if (mode === 'publish') return parsePublish(form, bounds.maxPublishUrls);
  if (mode !== 'subscribe' && mode !== 'unsubscribe' && mode !== 'replay') {
    throw new HubError('HUB_ERR_PARAM_MODE_UNKNOWN', `hub.mode "${mode.slice(0, 40)}" is not subscribe, unsubscribe, publish or replay`);
  }
  const callback = parseHubUrl(single(form, 'hub.callback'), 'hub.callback');
  const topic = parseHubUrl(single(form, 'hub.topic'), 'hub.topic');
  if (mode === 'replay') {
    const count = wholeNumber(single(form, 'count'), 'count', 1, MAX_COUNT, 'HUB_ERR_PARAM_COUNT_INVALID') ?? DEFAULT_COUNT;
    return { mode, callback, topic, count };
  }

  const secretRaw = single(form, 'hub.secret');
  const secret = secretRaw === undefined || secretRaw === '' ? undefined : secretRaw;
  // WebSub §5.1 (H2): the limit is in bytes, not characters.
  if (secret !== undefined && Buffer.byteLength(secret, 'utf8') >= 200) throw new HubError('HUB_ERR_PARAM_SECRET_TOO_LONG');

  let leaseSeconds: number | undefined;
  if (mode === 'subscribe') {
    const raw = single(form, 'hub.lease_seconds');
    if (raw === undefined || raw === '') leaseSeconds = bounds.leaseDefaultSeconds;
    else if (!/^\d{1,12}$/.test(raw.trim()))
      throw new HubError('HUB_ERR_PARAM_LEASE_INVALID', `hub.lease_seconds must be a positive integer, got "${raw.slice(0, 40)}"`);
    else leaseSeconds = Math.min(bounds.leaseMaxSeconds, Math.max(bounds.leaseMinSeconds, Number(raw.trim())));
  }
  const verifyToken = single(form, 'hub.verify_token') || undefined;
  if (verifyToken !== undefined && verifyToken.length > 1024)
    throw new HubError('HUB_ERR_PARAM_VERIFY_INVALID', 'hub.verify_token is longer than 1024 characters');
  const verify = form.getAll('hub.verify')[0] === 'sync' ? 'sync' : 'async';
  const format = formatOf(single(form, 'crier.format'));
  const initial = wholeNumber(single(form, 'crier.initial'), 'crier.initial', 0, MAX_INITIAL_ENTRIES, 'HUB_ERR_PARAM_INITIAL_INVALID') ?? 0;
  return {
    mode,
    callback,
    topic,
    leaseSeconds,
    secret,
    verifyToken,
    signatureAlgorithm: signatureAlgorithmOf(form),
    verify,
    format,
    initial,
  };
}

/** crier.format: `feed` (the topic's own document, the default) or `json` (JSON Feed 1.1). */
function formatOf(raw: string | undefined): DeliveryFormat | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const format = raw.trim().toLowerCase();
  if (format !== 'feed' && format !== 'json')
    throw new HubError('HUB_ERR_PARAM_DELIVERY_FORMAT_INVALID', `crier.format must be feed or json, got "${raw.slice(0, 40)}"`);
  return format;
}

function signatureAlgorithmOf(form: URLSearchParams): SignatureAlgorithm | undefined {
  const asked = single(form, 'hub.signature_algorithm');
  if (asked !== undefined && asked !== '') {
    const algorithm = asked.trim().toLowerCase();
    if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(algorithm)) {
      const known = SIGNATURE_ALGORITHMS.join(', ');
      throw new HubError(
        'HUB_ERR_PARAM_SIGNATURE_ALGORITHM',
        `hub.signature_algorithm must be one of ${known}, got "${asked.slice(0, 40)}"`,
      );
    }
    return algorithm as SignatureAlgorithm;
  }
  return form.has('hub.verify') ? 'sha1' : undefined;
}

/** Publishers send hub.url, hub.url[] or hub.topic, often repeated (H17). */
function parsePublish(form: URLSearchParams, maxUrls: number): HubRequest {
  const raw = [...form.getAll('hub.url'), ...form.getAll('hub.url[]'), ...form.getAll('hub.topic')];
  if (raw.length === 0) throw new HubError('HUB_ERR_PUBLISH_NO_URL');
  if (raw.length > maxUrls)
    throw new HubError('HUB_ERR_PUBLISH_TOO_MANY_URLS', `a publish may name at most ${maxUrls} URLs, got ${raw.length}`);
  const urls = [...new Set(raw.map((u) => parseHubUrl(u, 'hub.url')))];
  return { mode: 'publish', urls };
}
