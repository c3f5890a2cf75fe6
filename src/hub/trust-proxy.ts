import type { Config } from '../config.js';

/**
 * Express's 'trust proxy' for HUB_TRUST_PROXY: with 1 the client is the address
 * the one proxy appended to X-Forwarded-For (the last entry), not a leftmost
 * entry any client can write (H28).
 */
export function trustProxy(config: Pick<Config, 'trustProxy'>): number | false {
  return config.trustProxy ? 1 : false;
}
