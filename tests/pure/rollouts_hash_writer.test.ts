// The inspector's address bar is written coalesced (issue 11, Speed): a held j key (about 30 presses a
// second) must keep moving the selection, while Chromium ignores history writes beyond 200 in 10 s.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HISTORY_WRITE_MS, HashWriter } from '../../src/ui/rollouts/route';

function fakeHistory() {
  const loc = { hash: '#/rollouts' };
  const writes: { kind: 'push' | 'replace'; hash: string }[] = [];
  const history = {
    pushState: (_d: unknown, _u: string, h: string) => (writes.push({ kind: 'push', hash: h }), (loc.hash = h)),
    replaceState: (_d: unknown, _u: string, h: string) => (writes.push({ kind: 'replace', hash: h }), (loc.hash = h)),
  };
  return { loc, writes, history };
}

describe('navigate: history writes', () => {
  let restore: (() => void) | null = null;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const { loc, writes, history } = fakeHistory();
    const g = globalThis as Record<string, unknown>;
    const saved = { location: g.location, history: g.history, addEventListener: g.addEventListener, dispatchEvent: g.dispatchEvent, HashChangeEvent: g.HashChangeEvent };
    Object.assign(g, {
      location: loc,
      history,
      addEventListener: () => {},
      dispatchEvent: () => true,
      HashChangeEvent: class extends Event {},
      __writes: writes,
    });
    restore = () => Object.assign(g, saved);
  });
  afterEach(() => {
    vi.useRealTimers();
    restore?.();
  });

  it('300 key presses in 10 s (30 a second, a held key) write history far fewer than 200 times, and the view sees every one', async () => {
    const { navigate, currentHash } = await import('../../src/ui/rollouts/route');
    const writes = (globalThis as unknown as { __writes: unknown[] }).__writes;
    for (let i = 0; i < 300; i++) {
      navigate({ runId: 'run', step: 1, groupId: 'g', sample: i % 8, expr: `x == ${i}` }, true);
      // What the views read changes at once, before any history write.
      expect(currentHash()).toContain(`sample/${i % 8}`);
      vi.advanceTimersByTime(33);
    }
    vi.advanceTimersByTime(1000);
    expect(writes.length).toBeLessThanOrEqual(Math.ceil((300 * 33) / HISTORY_WRITE_MS) + 1);
    expect(writes.length).toBeGreaterThan(10);
    expect(location.hash).toBe(currentHash());
  });
});

describe('HashWriter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a burst becomes one write of the last hash; a push in the burst makes it a push', () => {
    const { loc, writes, history } = fakeHistory();
    let t = 0;
    const w = new HashWriter(() => loc.hash, history, () => t, 100);
    expect(w.set('#/rollouts/a', false)).toBe(true);
    expect(w.set('#/rollouts/b', true)).toBe(true);
    expect(w.set('#/rollouts/c', false)).toBe(true);
    expect(w.set('#/rollouts/c', false)).toBe(false);
    expect(w.current()).toBe('#/rollouts/c');
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(writes).toEqual([{ kind: 'push', hash: '#/rollouts/c' }]);
    // The next write waits out the interval.
    t = 10;
    w.set('#/rollouts/d', false);
    vi.advanceTimersByTime(50);
    expect(writes.length).toBe(1);
    t = 110;
    vi.advanceTimersByTime(60);
    expect(writes.at(-1)).toEqual({ kind: 'replace', hash: '#/rollouts/d' });
  });

  it('the address bar changed by the user (back button, a typed URL) wins over a pending write', () => {
    const { loc, writes, history } = fakeHistory();
    const w = new HashWriter(() => loc.hash, history, () => 0, 100);
    w.set('#/rollouts/a', false);
    loc.hash = '#/rollouts/typed';
    w.browserNavigated();
    vi.advanceTimersByTime(500);
    expect(writes).toEqual([]);
    expect(w.current()).toBe('#/rollouts/typed');
  });

  it("a link's late hashchange does not drop the write the view made after following that link", () => {
    const { loc, writes, history } = fakeHistory();
    const w = new HashWriter(() => loc.hash, history, () => 0, 100);
    loc.hash = '#/rollouts/run/step/1'; // the link (popstate now, hashchange a task later)
    w.set('#/rollouts/run/step/1/group/g/sample/0', false); // the view picks the first group
    w.browserNavigated(); // the link's hashchange
    vi.advanceTimersByTime(0);
    expect(writes).toEqual([{ kind: 'replace', hash: '#/rollouts/run/step/1/group/g/sample/0' }]);
  });
});
