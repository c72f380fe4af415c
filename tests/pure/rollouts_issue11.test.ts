// Issue 11, symptoms: each test here failed before its fix.
import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { appendRunStep, buildIndex, closeRolloutDb, getRun, renameRun, saveRun, setRunQuadrantRule } from '../../src/rollouts/rollout_db';
import { importFiles, parseFile } from '../../src/rollouts/importers';
import { applyFilter } from '../../src/rollouts/filter';
import { compareRows, paddedDomain } from '../../src/rollouts/compare';
import { summarizeGroup, summarizeSteps } from '../../src/rollouts/group';
import { describeQuadrantRule, mergeQuadrantRules, quadrantOf, promptPreview, quadrantRule, trainerScore, type ProcessBreakdown } from '../../src/rollouts/record';
import { enc } from '../fixtures/inspect_fixtures';

afterAll(() => closeRolloutDb());

describe('import errors say what is wrong', () => {
  it('names an empty file (0 bytes or blank lines)', async () => {
    await expect(parseFile({ name: 'e.jsonl', bytes: new Uint8Array(0) }, { runId: 'r' })).rejects.toThrow(/e\.jsonl: empty file/);
    await expect(parseFile({ name: 'e.jsonl', bytes: enc('\n  \n\n') }, { runId: 'r' })).rejects.toThrow(/e\.jsonl: empty file/);
  });

  it('names a binary file, such as a PNG renamed to .jsonl', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    await expect(parseFile({ name: 'shot.jsonl', bytes: png }, { runId: 'r' })).rejects.toThrow(/shot\.jsonl: binary file \(PNG image\)/);
    const nul = enc('abc\u0000def\n');
    await expect(parseFile({ name: 'b.jsonl', bytes: nul }, { runId: 'r' })).rejects.toThrow(/binary file \(NUL bytes\)/);
  });

  it('names the first line that is not JSON, even on a long line of garbage, with a bounded message', async () => {
    const garbage = 'garbage '.repeat(200_000); // 1.6 MB on one line
    const err = await parseFile({ name: 'g.jsonl', bytes: enc(garbage) }, { runId: 'r' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^g\.jsonl: not JSON at line 1\b/);
    expect((err as Error).message.length).toBeLessThan(400);
    await expect(parseFile({ name: 'h.jsonl', bytes: enc('\n\nnot json\n{"a": [1,\n') }, { runId: 'r' })).rejects.toThrow(/not JSON at line 3\b/);
    await expect(parseFile({ name: 'n.jsonl', bytes: enc('1\n2\n') }, { runId: 'r' })).rejects.toThrow(/line 1 is a JSON number, not a record/);
  });

  it('still names unrecognised records by their keys', async () => {
    await expect(parseFile({ name: 'x.jsonl', bytes: enc('{"foo": 1}') }, { runId: 'r' })).rejects.toThrow(/unrecognised records \(keys: foo\)/);
  });
});

describe('quadrants by a rule that fits the source', () => {
  const verlLine = (i: number, p: number, r: number, step = 1) =>
    JSON.stringify({ input: `question ${i % 2}`, output: `<observation>o${i}</observation><think>t</think><answer>A</answer>`, gts: 'A', score: p + r, step, perception: p, reasoning: r });
  const verlRun = async (rows: [number, number][]) => {
    const text = rows.map(([p, r], i) => verlLine(i, p, r)).join('\n');
    return (await importFiles([{ name: '1.jsonl', bytes: enc(text) }], { runId: 'v' })).rollouts;
  };

  it('labels verl rollouts whose perception and reasoning rewards are both 1 as P high · R high', async () => {
    const rs = await verlRun([[1, 1], [1, 0], [0, 1], [0, 0], [1, 1], [1, 1], [0, 0], [1, 1]]);
    const rule = quadrantRule(rs);
    expect(rule.perception).toMatchObject({ by: 'total', threshold: 0.5, min: 0, max: 1 });
    expect(quadrantOf(rs.find((r) => r.perception?.total === 1 && r.reasoning?.total === 1)!, rule)).toBe('PhRh');
    const [s] = summarizeSteps(rs);
    expect(s.quadrants).toEqual({ PhRh: 4, PhRl: 1, PlRh: 1, PlRl: 2 });
    expect(summarizeGroup(rs.filter((r) => r.groupId === rs[0].groupId), rule).quadrants.PhRh).toBeGreaterThan(0);
  });

  it('uses the midpoint of the observed totals on any scale, and the accuracy part when known', () => {
    const mk = (p: ProcessBreakdown, r: ProcessBreakdown) => ({ perception: p, reasoning: r });
    const rs = [mk({ total: 1 }, { accuracy: 0, format: 1, total: 1 }), mk({ total: 2.2 }, { accuracy: 1, format: 1, total: 2 }), mk({ total: 1.8 }, { accuracy: 1, format: 0, total: 1 })];
    const rule = quadrantRule(rs);
    expect(rule.perception.by).toBe('total');
    expect(rule.perception.threshold).toBeCloseTo(1.6);
    expect(rule.reasoning).toEqual({ by: 'accuracy', threshold: 0.5 });
    expect(rs.map((r) => quadrantOf(r, rule))).toEqual(['PlRl', 'PhRh', 'PhRh']);
    // A run whose process reward never varies: all 0 is low, all 1 is high.
    expect(quadrantOf({ perception: { total: 0 }, reasoning: { total: 1 } }, quadrantRule([{ perception: { total: 0 }, reasoning: { total: 1 } }]))).toBe('PlRh');
    expect(describeQuadrantRule(rule)).toMatch(/perception total ≥ 1\.6 \(midpoint of 1–2\.2\) · reasoning accuracy ≥ 0\.5/);
  });

  it('recounts with a threshold the user set, in summaries and in the filter', async () => {
    const rs = await verlRun([[1, 1], [0.4, 1], [0.6, 1], [0, 1]]);
    const auto = quadrantRule(rs);
    expect(summarizeSteps(rs, auto)[0].quadrants.PhRh).toBe(2); // threshold 0.5: 1 and 0.6
    const custom = { ...auto, perception: { ...auto.perception, threshold: 0.8, custom: true } };
    expect(summarizeSteps(rs, custom)[0].quadrants.PhRh).toBe(1);
    expect(applyFilter(rs, { expr: '', search: '', quadrants: ['PhRh'], rule: custom })).toHaveLength(1);
    expect(applyFilter(rs, { expr: 'quadrant == "PlRh"', search: '', quadrants: [], rule: custom })).toHaveLength(3);
    expect(applyFilter(rs, { expr: '', search: '', quadrants: ['PhRh'] })).toHaveLength(2); // the run's own rule by default
    // Stored: the run keeps its rule, and a threshold the user sets recounts every step.
    await saveRun({ runId: 'v', name: 'v', format: 'verl', files: ['1.jsonl'], warnings: [], columns: [], rollouts: rs });
    expect((await getRun('v'))!.meta.quadrantRule).toEqual(auto);
    expect((await getRun('v'))!.meta.stepSummaries[0].quadrants.PhRh).toBe(2);
    await setRunQuadrantRule('v', custom);
    expect((await getRun('v'))!.meta.quadrantRule).toEqual(custom);
    expect((await getRun('v'))!.meta.stepSummaries[0].quadrants.PhRh).toBe(1);
    expect(mergeQuadrantRules(custom, quadrantRule([{ perception: { total: 5 }, reasoning: { total: 5 } }])).perception).toBe(custom.perception);
  });
});

describe('trainer score', () => {
  it('flags a NaN trainer score at import, naming where, and keeps it out of the mean', async () => {
    const line = (i: number, score: string) => `{"input": "q", "output": "<observation>o${i}</observation><think>t</think><answer>A</answer>", "gts": "A", "score": ${score}, "step": 1, "perception": 1, "reasoning": 1}`;
    const res = await importFiles([{ name: '1.jsonl', bytes: enc([line(0, '1'), line(1, 'NaN'), line(2, '0')].join('\n')) }], { runId: 'n' });
    expect(res.warnings.join('\n')).toMatch(/1 of 3 rollouts have a trainer score that is not a number \(NaN; first at 1\.jsonl:2\)/);
    expect(summarizeSteps(res.rollouts)[0].score).toBe(0.5);
    const nan = res.rollouts.find((r) => Number.isNaN(r.rewards.score))!;
    expect(trainerScore(nan)).toEqual({ key: 'score', value: NaN, finite: false });
    expect(trainerScore({ rewards: { reward: 0.25 } })).toEqual({ key: 'reward', value: 0.25, finite: true });
    expect(trainerScore({ rewards: { perception: 1 } })).toBeNull();
  });
});

describe('zero-valued series stay visible', () => {
  it('pads the y domain so a series at 0 every step lies above the x-axis', () => {
    const rows = [{ step: 1, a: 0, b: 1.5 }, { step: 2, a: 0, b: 2 }];
    const [lo, hi] = paddedDomain(rows, ['a', 'b'])!;
    expect(lo).toBeLessThan(0);
    expect(hi).toBeGreaterThan(2);
    expect(lo).toBe(-0.2);
    expect(paddedDomain([{ step: 1, a: 0 }, { step: 2, a: 0 }], ['a'])).toEqual([-0.5, 0.5]);
    expect(paddedDomain([{ step: 1, a: null }], ['a'])).toBeNull();
  });

  it('in the compare view, a run whose reward stays 0 keeps its points, inside the domain', () => {
    const summary = (step: number, total: number) => ({ ...summarizeSteps([])[0], step, perception: { accuracy: null, format: null, length: null, total }, reasoning: { accuracy: null, format: null, length: null, total } }) as never;
    const runs = [{ key: 'zero', stepSummaries: [summary(1, 0), summary(2, 0)] }, { key: 'one', stepSummaries: [summary(1, 1), summary(2, 1.2)] }];
    const rows = compareRows(runs, 'R_P total');
    expect(rows.map((r) => r.zero)).toEqual([0, 0]);
    const [lo] = paddedDomain(rows, ['zero', 'one'])!;
    expect(lo).toBeLessThan(0);
  });
});

describe('navigation: group names and run names', () => {
  it('names groups by the first words of their prompt, after a chat template', () => {
    expect(promptPreview('system\nYou are a video assistant.\nuser\n<video> Where does red move? A.up B.down C.left D.right\nassistant\n')).toBe(
      'Where does red move? A.up B.down C.left D.right',
    );
    expect(promptPreview('<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHow many objects are there in the whole video clip shown here today?<|im_end|>\n<|im_start|>assistant\n')).toBe(
      'How many objects are there in the whole video clip…',
    );
    expect(promptPreview('Count the dots.')).toBe('Count the dots.');
  });

  it('keeps each group’s prompt preview in the run index', async () => {
    const text = [0, 1, 2, 3].map((i) => JSON.stringify({ input: `user\nquestion number ${i % 2} about the video`, output: '<answer>A</answer>', score: 1, step: 1 })).join('\n');
    const res = await importFiles([{ name: '1.jsonl', bytes: enc(text) }], { runId: 'p' });
    const index = buildIndex('p', res.rollouts);
    expect(index.steps[0].groups.map((g) => g.preview).sort()).toEqual(['question number 0 about the video', 'question number 1 about the video']);
  });

  it('renames a run, keeps its id, and a training run’s next step keeps the new name', async () => {
    const rs = (await importFiles([{ name: '1.jsonl', bytes: enc(JSON.stringify({ input: 'q', output: 'a', score: 1, step: 1 })) }], { runId: 'rn' })).rollouts;
    await saveRun({ runId: 'rn', name: '1.jsonl', format: 'verl', files: ['1.jsonl'], warnings: [], columns: [], rollouts: rs });
    await renameRun('rn', '  PA-GRPO seed 1 ');
    expect((await getRun('rn'))!.meta.name).toBe('PA-GRPO seed 1');
    await expect(renameRun('rn', '  ')).rejects.toThrow(/needs a name/);
    await appendRunStep('rn', 'pa-grpo (trained in the app, tiny)', 2, rs.map((r) => ({ ...r, step: 2, id: `${r.id}-2` })));
    expect((await getRun('rn'))!.meta.name).toBe('PA-GRPO seed 1');
  });
});
