import { createFetchGate, type FetchAdmission } from '../../src/workers/fetch-gate.js';

function gate(overrides: { perTarget?: number; minIntervalMs?: number } = {}) {
  let t = 1_000_000;
  const g = createFetchGate({
    perTarget: overrides.perTarget ?? 2,
    minIntervalMs: overrides.minIntervalMs ?? 0,
    circuit: { minAttempts: 3, cooldownMs: 10_000, maxCooldownMs: 60_000 },
    now: () => t,
    random: () => 0.5,
  });
  return { g, advance: (ms: number) => (t += ms), now: () => t };
}

const pass = (a: FetchAdmission) => {
  if (!a.go) throw new Error(`refused: ${a.reason}`);
  return a.pass;
};

describe('fetch gate', () => {
  test('at most perTarget fetches per registrable domain run at once; a release frees a slot', () => {
    const { g, now } = gate({ perTarget: 2 });
    const first = pass(g.admit('https://a.example.com/1', null));
    pass(g.admit('https://www.example.com:8443/2', null));
    const third = g.admit('https://example.com./3', null);
    expect(third.go).toBe(false);
    if (!third.go) expect(third.retryAt).toBeGreaterThan(now());
    // Another target is not held up.
    expect(g.admit('https://other.example.org/', null).go).toBe(true);
    first.release(true);
    first.release(true); // a second release does not free a second slot
    expect(g.admit('https://example.com/4', null).go).toBe(true);
    expect(g.admit('https://example.com/5', null).go).toBe(false);
  });

  test('a topic fetched less than minIntervalMs ago waits until the interval has passed', () => {
    const { g, now } = gate({ minIntervalMs: 3000 });
    const last = new Date(now() - 1000);
    const early = g.admit('https://example.com/feed', last);
    expect(early).toEqual({ go: false, retryAt: last.getTime() + 3000, reason: expect.any(String) });
    expect(g.admit('https://example.com/feed', new Date(now() - 3000)).go).toBe(true);
  });

  test('repeated failures open the origin’s circuit; after the cool-down one probe goes and its success closes it', () => {
    const { g, advance } = gate({ perTarget: 10 });
    for (let i = 0; i < 3; i++) pass(g.admit('https://slow.example/feed', null)).release(false);
    const refused = g.admit('https://slow.example/other', null);
    expect(refused.go).toBe(false);
    if (!refused.go) expect(refused.reason).toMatch(/circuit open/);
    // Another origin on the same domain has its own circuit.
    expect(g.admit('https://www.slow.example/feed', null).go).toBe(true);
    advance(10_000);
    const probe = pass(g.admit('https://slow.example/feed', null));
    expect(g.admit('https://slow.example/feed', null).go).toBe(false); // one probe at a time
    probe.release(true);
    expect(g.admit('https://slow.example/feed', null).go).toBe(true);
  });
});

describe('fetch gate, polls', () => {
  function pollGate(perTarget: number, spacingMs: number) {
    let t = 1_000_000;
    const g = createFetchGate({
      perTarget: 8,
      minIntervalMs: 0,
      circuit: { minAttempts: 3, cooldownMs: 10_000, maxCooldownMs: 60_000 },
      poll: { perTarget, spacingMs },
      now: () => t,
      random: () => 0.5,
    });
    return { g, advance: (ms: number) => (t += ms) };
  }

  test('at most poll.perTarget polls of one target run at once; pings are not held to it', () => {
    const { g } = pollGate(2, 0);
    const first = pass(g.admit('https://example.com/1', null, true));
    pass(g.admit('https://example.com/2', null, true));
    expect(g.admit('https://example.com/3', null, true).go).toBe(false);
    expect(g.admit('https://example.com/3', null, false).go).toBe(true);
    first.release(true);
    expect(g.admit('https://example.com/4', null, true).go).toBe(true);
  });

  test('polls of one target start at least poll.spacingMs apart', () => {
    const { g, advance } = pollGate(10, 500);
    pass(g.admit('https://example.com/1', null, true)).release(true);
    const early = g.admit('https://example.com/2', null, true);
    expect(early.go).toBe(false);
    if (!early.go) expect(early.reason).toMatch(/polled moments ago/);
    expect(g.admit('https://other.example.org/1', null, true).go).toBe(true);
    advance(500);
    expect(g.admit('https://example.com/2', null, true).go).toBe(true);
  });

  test('a fetch refused as busy by a burst of young fetches waits for a slot and is woken by a release', async () => {
    const { g } = gate({ perTarget: 2 });
    const first = pass(g.admit('https://example.com/1', null));
    pass(g.admit('https://example.com/2', null));
    const refused = g.admit('https://example.com/3', null);
    expect(!refused.go && refused.busy).toBe(true);
    const waited = g.waitForSlot('https://example.com/3', 60_000);
    first.release(true);
    await expect(waited).resolves.toBe(true);
    expect(g.admit('https://example.com/3', null).go).toBe(true);
  });

  test('a target whose fetches are slow is not waited for: it keeps its share and no more', async () => {
    const { g, advance } = gate({ perTarget: 2 });
    pass(g.admit('https://slow.example/1', null));
    pass(g.admit('https://slow.example/2', null));
    advance(1000);
    await expect(g.waitForSlot('https://slow.example/3', 1000)).resolves.toBe(false);
    // A wait that no release ends gives up at its timeout.
    const { g: other } = gate({ perTarget: 1 });
    pass(other.admit('https://example.com/1', null));
    await expect(other.waitForSlot('https://example.com/2', 20)).resolves.toBe(false);
  });

  test('a refusal for the spacing between fetches of one topic is not busy', () => {
    const { g, now } = gate({ minIntervalMs: 3000 });
    const early = g.admit('https://example.com/feed', new Date(now() - 1000));
    expect(!early.go && early.busy).toBeFalsy();
  });
});
