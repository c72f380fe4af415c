import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from '../../src/ui/rollouts/route';
import { dedupeRaw, rawRecord } from '../../src/rollouts/record';
import { toJsonl } from '../../src/rollouts/export';
import { importFiles } from '../../src/rollouts/importers';
import { enc, syntheticRun, verlStepJsonl } from '../fixtures/inspect_fixtures';

describe('inspector routes carry the view state', () => {
  it('round-trips the filter expression, quadrants and the across-steps view', () => {
    const r = { runId: 'run a', step: 3, groupId: 'g/1', sample: 2, expr: 'perception.accuracy == 0 and completion contains "a&b?"', quads: ['PlRh' as const, 'PhRl' as const], view: 'steps' as const };
    const h = routeHash(r);
    expect(h.startsWith('#/rollouts/run%20a/step/3/group/g%2F1/sample/2?')).toBe(true);
    expect(parseRoute(h)).toEqual(r);
  });
  it('round-trips the runs compared on the runs list, ids with commas and spaces included', () => {
    const r = { runId: null, step: null, groupId: null, sample: null, compare: ['pa-grpo run', 'grpo,seed 1'] };
    const h = routeHash(r);
    expect(h.startsWith('#/rollouts?compare=')).toBe(true);
    expect(parseRoute(h)).toEqual(r);
    expect(routeHash({ runId: null, compare: [] })).toBe('#/rollouts');
  });
  it('leaves routes without view state unchanged and drops unknown quadrants', () => {
    expect(routeHash({ runId: 'x', step: 1, groupId: 'g', sample: 0, expr: ' ', quads: [] })).toBe('#/rollouts/x/step/1/group/g/sample/0');
    expect(parseRoute('#/rollouts/x/step/1?q=PlRh,bogus')).toEqual({ runId: 'x', step: 1, groupId: null, sample: null, quads: ['PlRh'] });
  });
});

describe('raw records do not store the texts twice', () => {
  it('dedupeRaw / rawRecord round-trip, keeping key order', () => {
    const long = 'x'.repeat(40);
    const raw = { input: `p${long}`, output: `c${long}`, gts: 'A', score: 1 };
    const d = dedupeRaw(raw, { prompt: raw.input, completion: raw.output, groundTruth: 'A' });
    expect(d.raw).toEqual({ input: null, output: null, gts: 'A', score: 1 });
    const back = rawRecord({ ...d, prompt: raw.input, completion: raw.output, groundTruth: 'A' });
    expect(back).toEqual(raw);
    expect(Object.keys(back as object)).toEqual(Object.keys(raw));
  });
  it('imported verl rollouts keep the full record recoverable, and export writes it whole', async () => {
    const run = syntheticRun(1, 4);
    const res = await importFiles([{ name: '1.jsonl', bytes: enc(verlStepJsonl(run, 1)) }], { runId: 'v' });
    const r = res.rollouts[0];
    expect(r.rawRefs).toEqual({ input: 'prompt', output: 'completion' });
    expect((r.raw as Record<string, unknown>).output).toBeNull();
    expect((rawRecord(r) as Record<string, unknown>).output).toBe(r.completion);
    const line = JSON.parse(toJsonl([r]).trim());
    expect(line.raw.output).toBe(r.completion);
    expect(line.rawRefs).toBeUndefined();
  });
});
