import { mergeRequests } from '../../src/merged-requests.js';

/** A load function that records its batches and answers when released. */
function gate<K>() {
  const batches: K[][] = [];
  const releases: Array<() => void> = [];
  const load = async (keys: readonly K[]) => {
    batches.push([...keys]);
    await new Promise<void>((resolve) => releases.push(resolve));
    return keys.map((k) => (k === 'bad' ? new Error(`no ${String(k)}`) : `answer ${String(k)}`));
  };
  return { batches, releases, load };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('merged requests (src/merged-requests.ts)', () => {
  test('requests made in one turn go out as one batch, each caller getting its own answer or error', async () => {
    const g = gate<string>();
    const merged = mergeRequests(g.load, { maxInFlight: 2, maxBatch: 100 });
    const answers = Promise.allSettled(['a', 'bad', 'c'].map((k) => merged(k)));
    await turn();
    expect(g.batches).toEqual([['a', 'bad', 'c']]);
    g.releases[0]();
    const settled = await answers;
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'answer a' });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'no bad' } });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 'answer c' });
  });

  test('while maxInFlight batches are out, later requests wait and gather into one batch', async () => {
    const g = gate<string>();
    const merged = mergeRequests(g.load, { maxInFlight: 1, maxBatch: 100 });
    const first = merged('a');
    await turn();
    expect(g.batches).toEqual([['a']]);
    const later = [merged('b')];
    await turn();
    later.push(merged('c'));
    await turn();
    later.push(merged('d'));
    await turn();
    // Three turns went by with the first batch out: nothing else was sent.
    expect(g.batches).toHaveLength(1);
    g.releases[0]();
    await first;
    await turn();
    expect(g.batches).toEqual([['a'], ['b', 'c', 'd']]);
    g.releases[1]();
    expect(await Promise.all(later)).toEqual(['answer b', 'answer c', 'answer d']);
  });

  test('a batch is capped at maxBatch requests; the rest form the next', async () => {
    const g = gate<number>();
    const merged = mergeRequests(g.load, { maxInFlight: 2, maxBatch: 3 });
    const answers = Promise.all([1, 2, 3, 4, 5].map((k) => merged(k)));
    await turn();
    expect(g.batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    g.releases.forEach((release) => release());
    expect(await answers).toEqual([1, 2, 3, 4, 5].map((k) => `answer ${k}`));
  });

  test('a failed batch fails its callers, and the next batch still goes out', async () => {
    let calls = 0;
    const merged = mergeRequests(
      (keys: readonly string[]) =>
        calls++ === 0 ? Promise.reject(new Error('database down')) : Promise.resolve(keys.map((k) => k.toUpperCase())),
      { maxInFlight: 1, maxBatch: 10 },
    );
    await expect(Promise.all([merged('a'), merged('b')])).rejects.toThrow('database down');
    expect(await merged('c')).toBe('C');
  });

  test('with waitMs a batch gathers across turns of the loop; drain settles once every request is answered', async () => {
    const g = gate<string>();
    const merged = mergeRequests(g.load, { waitMs: 200 });
    const answers = Promise.all([merged('a'), turn().then(() => merged('b'))]);
    await turn();
    await turn();
    expect(g.batches).toEqual([]);
    while (g.batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(g.batches).toEqual([['a', 'b']]);
    let drained = false;
    const drain = merged.drain().then(() => (drained = true));
    await turn();
    expect(drained).toBe(false);
    g.releases[0]();
    await drain;
    expect(await answers).toEqual(['answer a', 'answer b']);
  });
});
