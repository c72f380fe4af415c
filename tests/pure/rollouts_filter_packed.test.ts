// The filter worker sends its hits packed (typed arrays + each group id once) instead of one object
// per hit (issue 11, Speed); unpacked, they are exactly applyFilter's hits, in hit order.
import { describe, expect, it } from 'vitest';
import { applyFilter, filterPositions, packHits, sortForFilter, unpackHits } from '../../src/rollouts/filter';
import { importFiles } from '../../src/rollouts/importers';
import { enc, syntheticRun, verlStepJsonl } from '../fixtures/inspect_fixtures';

describe('packed filter hits', () => {
  it('unpack to the same hits as applyFilter, for an expression, a search and quadrants', async () => {
    const run = syntheticRun(3, 4);
    const res = await importFiles([1, 2, 3].map((s) => ({ name: `${s}.jsonl`, bytes: enc(verlStepJsonl(run, s)) })), { runId: 'r' });
    const rollouts = sortForFilter([...res.rollouts].reverse());
    for (const spec of [
      { expr: 'perception == 1 or reasoning == 2', search: '', quadrants: [] },
      { expr: '', search: 'A', quadrants: [] },
      { expr: 'step >= 2', search: '', quadrants: ['PhRh', 'PlRl'] },
    ]) {
      const expected = applyFilter(res.rollouts, spec);
      expect(expected.length).toBeGreaterThan(0);
      const packed = packHits(rollouts, filterPositions(rollouts, spec));
      expect(unpackHits(packed)).toEqual(expected);
      expect(packed.groupIds.length).toBe(new Set(expected.map((h) => `${h.step}|${h.groupId}`)).size);
    }
  });
});
