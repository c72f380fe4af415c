// verl's v1 trainer dumps (issue 11), on fixtures written to the spec (engines.md), not by our exporter:
// lines hold only input, output, gts, score, step, uid ({sample}_{rollout}_{output}), sorted by uid, no
// reward extras. Groups are the uid's sample part; the missing per-process rewards are said and recomputed.
import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/rollouts/importers';
import { rescoreRun } from '../../src/rollouts/rescore_group';
import { summarizeSteps } from '../../src/rollouts/group';
import { closeRolloutDb, getRun, getRunRollouts, replaceRunRollouts, saveRun } from '../../src/rollouts/rollout_db';
import { FieldJudge, RuleJudge } from '../../src/rewards/judge';
import { QUESTIONS, enc, syntheticRun, verlV1StepJsonl } from '../fixtures/inspect_fixtures';

afterAll(() => closeRolloutDb());

const run = syntheticRun(2, 4);
const files = (multiOutput = false) => [1, 2].map((step) => ({ name: `rollout/${step}.jsonl`, bytes: enc(verlV1StepJsonl(run, step, { multiOutput })) }));
const uidSample = (raw: unknown) => String((raw as { uid: string }).uid).split('_')[0];

describe('verl v1 dumps', () => {
  it('the fixture is what the spec says: six keys, sorted by uid', () => {
    const lines = verlV1StepJsonl(run, 1).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) expect(Object.keys(l)).toEqual(['input', 'output', 'gts', 'score', 'step', 'uid']);
    const keys = lines.map((l) => (l.uid as string).split('_'));
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2])));
    expect(keys).toEqual(sorted);
  });

  it('groups by the uid’s sample part: one prompt asked twice in a step is two groups', async () => {
    const res = await importFiles(files(), { runId: 'v1' });
    expect(res.format).toBe('verl');
    const step1 = res.rollouts.filter((r) => r.step === 1);
    const groups = new Map<string, typeof step1>();
    for (const r of step1) groups.set(r.groupId, [...(groups.get(r.groupId) ?? []), r]);
    expect(groups.size).toBe(QUESTIONS.length + 1);
    for (const g of groups.values()) {
      expect(g).toHaveLength(4);
      expect(new Set(g.map((r) => uidSample(r.raw)))).toHaveProperty('size', 1); // one uid sample per group
      expect(g.map((r) => r.sampleIdx)).toEqual([0, 1, 2, 3]);
    }
    const q0 = [...groups.values()].filter((g) => g[0].prompt.includes(QUESTIONS[0].q));
    expect(q0).toHaveLength(2);
    expect(q0[0][0].groupId).not.toBe(q0[1][0].groupId);
    // The duplicate's completions stay in their own group: the uid decides, not the prompt text.
    for (const g of q0) expect(new Set(g.map((r) => r.completion.includes('(again)')))).toHaveProperty('size', 1);
  });

  it('keeps a prompt’s group id from step to step (uids are new every step)', async () => {
    const res = await importFiles(files(), { runId: 'v1' });
    const idsAt = (step: number, q: string) => new Set(res.rollouts.filter((r) => r.step === step && r.prompt.includes(q)).map((r) => r.groupId));
    for (const { q } of QUESTIONS.slice(1)) {
      expect(idsAt(1, q).size).toBe(1);
      expect(idsAt(2, q)).toEqual(idsAt(1, q));
    }
    expect(idsAt(1, QUESTIONS[0].q)).toEqual(idsAt(2, QUESTIONS[0].q)); // both groups of the repeated prompt
  });

  it('loses no line when a rollout has several outputs (…_0_0 and …_0_1): ids stay unique', async () => {
    const res = await importFiles(files(true), { runId: 'v1m' });
    const lines = files(true).reduce((n, f) => n + new TextDecoder().decode(f.bytes).trim().split('\n').length, 0);
    expect(res.rollouts).toHaveLength(lines);
    expect(new Set(res.rollouts.map((r) => r.id)).size).toBe(lines);
    const multi = res.rollouts.filter((r) => r.step === 1 && r.groupId === res.rollouts.find((x) => x.completion.endsWith('(turn 2)') && x.step === 1)!.groupId);
    expect(multi).toHaveLength(5);
    expect(multi.map((r) => r.sampleIdx)).toEqual([0, 1, 2, 3, 4]);
  });

  it('says that per-process rewards are missing, once per run, and how to recompute them', async () => {
    const res = await importFiles(files(), { runId: 'v1' });
    const v1 = res.warnings.filter((w) => /verl v1 training dump/.test(w));
    expect(v1).toHaveLength(1);
    expect(v1[0]).toMatch(/per-process rewards are missing/);
    expect(v1[0]).toMatch(/--rescore --judge rules\|field:NAME\|http/);
    expect(res.rollouts.every((r) => r.perception === null && r.reasoning === null)).toBe(true);
    // A classic dump with process columns gets no such warning.
    const classic = await importFiles([{ name: '1.jsonl', bytes: enc(JSON.stringify({ input: 'q', output: 'a', gts: 'A', score: 1, step: 1, perception: 1, reasoning: 1 })) }], { runId: 'c' });
    expect(classic.warnings.some((w) => /verl v1/.test(w))).toBe(false);
  });

  it('recomputes per-process rewards with the rewards module (rules or field judge) and stores them with the run', async () => {
    const res = await importFiles(files(), { runId: 'v1r' });
    const progress: number[] = [];
    const ruled = await rescoreRun(res.rollouts, { judge: new RuleJudge(), onProgress: (d) => progress.push(d) });
    expect(progress.at(-1)).toBe(2 * (QUESTIONS.length + 1));
    expect(ruled.map((r) => r.id)).toEqual(res.rollouts.map((r) => r.id));
    expect(ruled.every((r) => r.perception && Number.isFinite(r.perception.total) && r.reasoning && Number.isFinite(r.reasoning.total))).toBe(true);
    // Reasoning accuracy against gts: the rollouts whose answer is the ground truth.
    for (const r of ruled) expect(r.reasoning!.accuracy).toBe(r.completion.includes(`<answer>${r.groundTruth}</answer>`) ? 1 : 0);
    expect(ruled.every((r) => r.advantages?.source === 'rescored' && Number.isFinite(r.advantages.perception))).toBe(true);
    // A field judge reads a verdict column of the dump.
    const withVerdict = res.rollouts.map((r) => ({ ...r, extra: { ...r.extra, sufficient: r.completion.includes('moving steadily') ? 'yes' : 'no' } }));
    const fielded = await rescoreRun(withVerdict, { judge: new FieldJudge('sufficient') });
    for (const r of fielded) expect(r.perception!.accuracy).toBe(r.completion.includes('moving steadily') ? 1 : 0);
    expect(summarizeSteps(fielded)[0].perception.total).not.toBeNull();
    // Stored: the dashboard's chart rows now have process rewards; nothing else of the run changed.
    await saveRun({ runId: 'v1r', name: 'v1', format: 'verl', files: ['1.jsonl', '2.jsonl'], warnings: res.warnings, columns: res.columns, rollouts: res.rollouts });
    expect((await getRun('v1r'))!.meta.stepSummaries[0].perception.total).toBeNull();
    await replaceRunRollouts('v1r', fielded, ['recomputed']);
    const after = await getRun('v1r');
    expect(after!.meta.stepSummaries[0].perception.total).toBeCloseTo(summarizeSteps(fielded)[0].perception.total!);
    expect(after!.meta.warnings).toEqual(['recomputed']);
    expect(after!.meta.rollouts).toBe(res.rollouts.length);
    expect((await getRunRollouts('v1r')).every((r) => r.perception !== null)).toBe(true);
    await expect(replaceRunRollouts('missing', fielded, [])).rejects.toThrow(/run missing not found/);
  });
});
