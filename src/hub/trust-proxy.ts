import type { Config } from '../config.js';

/**
 * Express's 'trust proxy' for HUB_TRUST_PROXY. A list trusts only those
 * addresses (proxy-addr walks X-Forwarded-For from the socket back, stopping at
 * the first address not in it), so a client that connects directly cannot name
 * its own address (issue 20, item 10). `1` keeps the older meaning: the one
 * hop, whoever it is, and the address it appended (the last entry), never a
 * leftmost entry any client can write (H28).
 */
export function trustProxy(config: Pick<Config, 'trustProxy'>): number | false | string[] {
  const setting = config.trustProxy;
  return setting === false || setting === 1 ? setting : [...setting];
}
