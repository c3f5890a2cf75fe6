import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HubError } from '../errors.js';
import { decodeKey } from '../secret-formats.js';

/**
 * Subscriber secrets at rest. With keys (HUB_SECRET_KEY), a secret is stored
 * as `v1:<key id>:<base64 of iv, tag and ciphertext>` under AES-256-GCM, so
 * the database alone does not reveal it; the first key seals, every listed key
 * opens (rotation: put the new key first, keep the old one until every stored
 * secret has been re-sealed by a re-subscription or its lease ran out).
 * Without keys secrets are stored as given. Values stored before encryption
 * was turned on open as they are.
 */
export interface SecretBox {
  seal(secret: string | null): string | null;
  open(stored: string): string;
  readonly encrypting: boolean;
}

const PREFIX = 'v1:';
/** Opened secrets kept, so a fan-out decrypts each subscription's secret once, not once per delivery. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** `cacheEntries` opened secrets are kept (HUB_SECRET_CACHE_ENTRIES): a fan-out opens each subscriber's once. */
export function createSecretBox(keys: readonly Buffer[], cacheEntries = 10_000): SecretBox {
  const byId = new Map(keys.map((k) => [keyId(k), k] as const));
  const current = keys[0];
  const opened = new Map<string, string>();
  const decrypt = (stored: string): string => {
    const [id, data] = stored.slice(PREFIX.length).split(':');
    const key = byId.get(id);
    if (!key) throw new HubError('HUB_ERR_SECRET_KEY_MISSING', `secret sealed with key ${id}, which HUB_SECRET_KEY does not list`);
    const raw = Buffer.from(data ?? '', 'base64');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new HubError('HUB_ERR_SECRET_KEY_MISSING', `secret sealed with key ${id} does not open with it (altered or wrong key)`);
    }
  };
  return {
    encrypting: current !== undefined,
    seal(secret) {
      if (secret === null || !current) return secret;
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', current, iv);
      const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return `${PREFIX}${keyId(current)}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      let secret = opened.get(stored);
      if (secret === undefined) {
        secret = decrypt(stored);
        if (cacheEntries > 0) {
          if (opened.size >= cacheEntries) opened.delete(opened.keys().next().value as string);
          opened.set(stored, secret);
        }
      }
      return secret;
    },
  };
}

/**
 * The embedded hub's own key when HUB_SECRET_KEY is unset: a random key in
 * `<data dir>/secret.key`, readable by this user only, made on first start.
 */
export function embeddedKey(dataDir: string): Buffer {
  const file = embeddedKeyFile(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = decodeKey(fs.readFileSync(file, 'utf8'));
  if (!key) throw new HubError('HUB_ERR_CONFIG', `${file} does not hold a 32-byte key`);
  return key;
}

function embeddedKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secret.key');
}

/**
 * The embedded key file, when it exists and HUB_SECRET_KEY (`keys`) does not
 * list its key: the secrets this hub sealed while it ran without
 * HUB_SECRET_KEY were sealed with that key and will not open with the ring
 * given. Undefined when there is no such file or the ring lists its key.
 */
export function unlistedEmbeddedKey(dataDir: string, keys: readonly Buffer[]): string | undefined {
  const file = embeddedKeyFile(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = decodeKey(text);
  return key && keys.some((k) => k.equals(key)) ? undefined : file;
}
