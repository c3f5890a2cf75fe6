import { HubError } from '../../src/errors.js';
import { Readers } from '../../src/hub/readers.js';

describe('Readers', () => {
  const limits = { maxStreams: 3, maxStreamsPerClient: 2, streamHeartbeatMs: 15000 };

  test('a client over HUB_MAX_STREAMS_PER_CLIENT is refused 429 with Retry-After; a released slot is free again', () => {
    const readers = new Readers(limits);
    const release = readers.admit('10.0.0.1', () => undefined);
    readers.admit('10.0.0.1', () => undefined);
    let refused: unknown;
    try {
      readers.admit('10.0.0.1', () => undefined);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(HubError);
    expect((refused as HubError).statusCode).toBe(429);
    expect((refused as HubError).details?.retryAfter).toBe(5);
    release();
    expect(() => readers.admit('10.0.0.1', () => undefined)).not.toThrow();
  });

  test('past HUB_MAX_STREAMS every client is refused 503; closeAll ends each reader and refuses new ones', () => {
    const readers = new Readers(limits);
    const ended: string[] = [];
    for (const c of ['a', 'b', 'c']) readers.admit(c, () => ended.push(c));
    expect(() => readers.admit('d', () => undefined)).toThrow(expect.objectContaining({ statusCode: 503 }) as Error);
    readers.closeAll();
    expect(ended).toEqual(['a', 'b', 'c']);
    expect(() => readers.admit('e', () => undefined)).toThrow(expect.objectContaining({ code: 'HUB_ERR_STREAMS_FULL' }) as Error);
  });
});
