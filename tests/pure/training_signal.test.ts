// Whether an RL run has a learning signal (src/store/training_signal.ts): every group collapsed at the
// latest step, or both processes' rewards flat for FLAT_STEPS steps, said in words with what to try.
import { describe, expect, it } from 'vitest';
import { FLAT_STEPS, rlSignal } from '../../src/store/training_signal';
import type { LogPoint, RlPoint } from '../../src/train/protocol';

const rlPoint = (p: number, r: number, collapsedBoth = 0, groups = 4, accuracy = 0): RlPoint => ({
  perception: { accuracy, format: 1, length: 0, total: p },
  reasoning: { accuracy, format: 1, length: 0, total: r },
  kl: 0,
  clipFraction: 0,
  segmentP: 5,
  segmentR: 5,
  collapsedP: collapsedBoth,
  collapsedR: collapsedBoth,
  collapsedBoth,
  groups,
  meanAbsAdvantage: 0,
  unfinished: 0,
});

const step = (i: number, rl?: RlPoint): LogPoint => ({ step: i, loss: 0, lr: 1e-4, gradNorm: 0, entropy: 1, skipped: false, tokensPerSec: 1, msPerStep: 1, ...(rl && { rl }) });

/** Steps 0.. with these (perception, reasoning) mean rewards, no group collapsed. */
const rewards = (pairs: [number, number][]) => pairs.map(([p, r], i) => step(i, rlPoint(p, r)));

describe('rlSignal', () => {
  it('says nothing for SFT points, or while groups still differ and rewards move', () => {
    expect(rlSignal([step(0), step(1)])).toBeNull();
    expect(rlSignal(rewards([[0.1, 0.2], [0.3, 0.2], [0.2, 0.5], [0.4, 0.1], [0.6, 0.3], [0.5, 0.6]]))).toBeNull();
    // Three of four groups collapsed is not all of them.
    expect(rlSignal([step(0, rlPoint(0, 0, 3, 4))])).toBeNull();
  });

  it('says when every group collapsed at the latest step, for how many steps, and what to try with the run’s T and G', () => {
    const series = [step(0, rlPoint(0.2, 0.1, 1)), step(1, rlPoint(0, 0, 4)), step(2, rlPoint(0, 0, 4))];
    const alert = rlSignal(series, { temperature: 1, group: 8 });
    expect(alert).toMatchObject({ kind: 'collapsed', step: 3, steps: 2 });
    expect(alert!.message).toContain('all 4 groups collapsed (2 steps in a row)');
    expect(alert!.message).toContain('every advantage is 0');
    expect(alert!.tryNext).toHaveLength(3);
    expect(alert!.tryNext[0]).toMatch(/^More SFT/);
    expect(alert!.tryNext[1]).toContain('now 1; try 1.3');
    expect(alert!.tryNext[2]).toContain('now 8; try 16');
    expect(rlSignal([step(0, rlPoint(0, 0, 1, 1))])!.message).toContain('the one group collapsed');
    // A later step with a signal clears it.
    expect(rlSignal([...series, step(3, rlPoint(0.5, 0.2, 2))])).toBeNull();
  });

  it('says the rollouts already answer right when groups collapse at full accuracy, instead of asking for more SFT', () => {
    const alert = rlSignal([step(0, rlPoint(2, 2, 4, 4, 1))]);
    expect(alert?.kind).toBe('collapsed');
    expect(alert!.message).toContain('full accuracy');
    expect(alert!.tryNext[0]).not.toMatch(/More SFT/);
  });

  it(`says when rewards stay flat for ${FLAT_STEPS} steps, not for one step fewer`, () => {
    const flat: [number, number][] = Array.from({ length: FLAT_STEPS }, (_, i) => [0.3 + (i % 2) * 0.005, 0.1]);
    const before: [number, number][] = [[0.9, 0.5]];
    expect(rlSignal(rewards([...before, ...flat.slice(1)]))).toBeNull();
    const alert = rlSignal(rewards([...before, ...flat]));
    expect(alert).toMatchObject({ kind: 'flat', step: FLAT_STEPS + 1, steps: FLAT_STEPS });
    expect(alert!.message).toContain(`flat for ${FLAT_STEPS} steps (steps 2 to ${FLAT_STEPS + 1})`);
    expect(alert!.message).toContain('reasoning reward 0.10');
    expect(alert!.tryNext.some((t) => /temperature/.test(t))).toBe(true);
    // The streak grows with each further flat step.
    expect(rlSignal(rewards([...before, ...flat, [0.3, 0.1]]))?.steps).toBe(FLAT_STEPS + 1);
  });

  it('does not call rewards flat when only one process is flat', () => {
    const pairs: [number, number][] = Array.from({ length: FLAT_STEPS }, (_, i) => [0.3, 0.1 * i]);
    expect(rlSignal(rewards(pairs))).toBeNull();
  });
});
