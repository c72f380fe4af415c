import { describe, expect, it } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { importFiles, parseFile } from '../../src/rollouts/importers';
import { parseLenientJson } from '../../src/rollouts/lenient_json';
import { breakdownsFromRewards, processKey, quadrantOf, quadrantRule, segmentsOf, type Rollout } from '../../src/rollouts/record';
import { zipEntries, readZipEntry } from '../../src/rollouts/importers/zip';
import {
  enc,
  inspectEvalLog,
  inspectEvalZipDeflate,
  inspectEvalZipZstd,
  rllbJsonl,
  syntheticRun,
  trlRows,
  verlStepJsonl,
  videoR1Eval,
  wandbTable,
  zstdRawFrame,
} from '../fixtures/inspect_fixtures';

const run = syntheticRun(2, 4);
const byGroup = (rs: Rollout[]) => {
  const m = new Map<string, Rollout[]>();
  for (const r of rs) m.set(`${r.step}|${r.groupId}`, [...(m.get(`${r.step}|${r.groupId}`) ?? []), r]);
  return m;
};

describe('lenient JSON', () => {
  it('reads the NaN and Infinity that Python json.dumps writes, but not inside strings', () => {
    const v = parseLenientJson('{"a": NaN, "b": -Infinity, "c": Infinity, "s": "NaN and Infinity", "t": "x\\"NaN"}') as Record<string, unknown>;
    expect(v.a).toBeNaN();
    expect(v.b).toBe(-Infinity);
    expect(v.c).toBe(Infinity);
    expect(v.s).toBe('NaN and Infinity');
    expect(v.t).toBe('x"NaN');
  });
});

describe('record helpers', () => {
  it('maps reward keys of many spellings onto the two processes', () => {
    expect(processKey('perception')).toEqual({ process: 'perception', part: 'total' });
    expect(processKey('perception.accuracy')).toEqual({ process: 'perception', part: 'accuracy' });
    expect(processKey('reasoning_format')).toEqual({ process: 'reasoning', part: 'format' });
    expect(processKey('acc_p')).toEqual({ process: 'perception', part: 'accuracy' });
    expect(processKey('reasoning_reward')).toEqual({ process: 'reasoning', part: 'total' });
    expect(processKey('score')).toBeNull();
    expect(processKey('acc')).toBeNull();
    expect(breakdownsFromRewards({ 'perception/acc': 1, 'perception/format': 1 }).perception).toEqual({ accuracy: 1, format: 1, total: 2 });
  });

  it('finds observation, think and answer spans in order', () => {
    const s = segmentsOf('<observation>I see</observation> <think>so</think><answer>B</answer>');
    expect([s.observation, s.think, s.answer]).toEqual(['I see', 'so', 'B']);
    expect(s.perceptionEnd).toBe('<observation>I see</observation>'.length);
  });

  it('classifies a right answer on a failed observation as P low · R high', () => {
    expect(quadrantOf({ perception: { accuracy: 0 }, reasoning: { accuracy: 1 } })).toBe('PlRh');
    // Totals without an accuracy part: split at the midpoint of the run's observed range (issue 11).
    const rule = quadrantRule([{ perception: { total: 0 }, reasoning: { total: 0 } }, { perception: { total: 2.2 }, reasoning: { total: 2.2 } }]);
    expect(quadrantOf({ perception: { total: 2 }, reasoning: { total: 1 } }, rule)).toBe('PhRl');
    expect(quadrantOf({ perception: null, reasoning: { total: 1 } })).toBeNull();
  });
});

describe('verl {step}.jsonl', () => {
  it('rebuilds GRPO groups by (step, input) from a shuffled dump with NaN and Infinity', async () => {
    const files = [1, 2].map((s) => ({ name: `rollouts/${s}.jsonl`, bytes: enc(verlStepJsonl(run, s)) }));
    const res = await importFiles(files, { runId: 'verl-run' });
    expect(res.format).toBe('verl');
    expect(res.rollouts).toHaveLength(run.length);
    const groups = byGroup(res.rollouts);
    expect(groups.size).toBe(6); // 2 steps × 3 prompts
    for (const g of groups.values()) {
      expect(g).toHaveLength(4);
      expect(new Set(g.map((r) => r.prompt)).size).toBe(1);
      expect(g.map((r) => r.sampleIdx)).toEqual([0, 1, 2, 3]);
    }
    // The same prompt keeps its group id across steps (h/l steps through one group).
    const ids1 = new Set(res.rollouts.filter((r) => r.step === 1).map((r) => r.groupId));
    const ids2 = new Set(res.rollouts.filter((r) => r.step === 2).map((r) => r.groupId));
    expect(ids1).toEqual(ids2);
    const nan = res.rollouts.find((r) => Number.isNaN(r.rewards.acc));
    expect(nan).toBeDefined();
    expect(res.rollouts.some((r) => r.rewards.acc === Infinity)).toBe(true);
  });

  it('keeps unknown columns and maps perception/reasoning keys onto the breakdown', async () => {
    const res = await importFiles([{ name: '1.jsonl', bytes: enc(verlStepJsonl(run, 1)) }], { runId: 'r' });
    const r = res.rollouts[0];
    expect(r.extra.note).toBe('naïve ✓');
    expect(typeof r.extra.pred).toBe('string');
    expect(r.groundTruth).toMatch(/^[ABC]$/);
    expect(r.perception?.total).toBeGreaterThanOrEqual(1);
    expect(r.reasoning?.total).toBeGreaterThanOrEqual(1);
    expect(res.columns).toEqual(expect.arrayContaining(['input', 'output', 'gts', 'score', 'step', 'perception', 'reasoning', 'acc', 'note']));
  });

  it('computes process advantages that sum to zero per group, and the single GRPO advantage next to them', async () => {
    const res = await importFiles([{ name: '1.jsonl', bytes: enc(verlStepJsonl(run, 1)) }], { runId: 'r' });
    for (const g of byGroup(res.rollouts).values()) {
      const sum = (k: 'perception' | 'reasoning' | 'grpo') => g.reduce((s, r) => s + r.advantages![k], 0);
      expect(Math.abs(sum('perception'))).toBeLessThan(1e-9);
      expect(Math.abs(sum('reasoning'))).toBeLessThan(1e-9);
      expect(Math.abs(sum('grpo'))).toBeLessThan(1e-9);
      expect(g.every((r) => r.advantages!.source === 'rescored')).toBe(true);
      // Higher perception reward → higher perception advantage.
      const sorted = [...g].sort((a, b) => a.perception!.total! - b.perception!.total!);
      expect(sorted[0].advantages!.perception).toBeLessThanOrEqual(sorted[sorted.length - 1].advantages!.perception);
    }
  });

  it('treats a dump under a val directory as validation', async () => {
    const res = await importFiles([{ name: 'val_dump/3.jsonl', bytes: enc(verlStepJsonl(run, 1).replace(/"step": 1/g, '"step": 3')) }], { runId: 'r' });
    expect(res.rollouts.every((r) => r.split === 'val' && r.step === 3)).toBe(true);
  });

  it('warns when the template tags never appear (special tokens stripped on decode)', async () => {
    const stripped = verlStepJsonl(run, 1).replace(/<\/?(observation|think|answer)>/g, '');
    const res = await importFiles([{ name: '1.jsonl', bytes: enc(stripped) }], { runId: 'r' });
    expect(res.warnings.join('\n')).toMatch(/template tags never seen: <observation>, <think>, <answer>.*skip_special_tokens/s);
  });

  it('uses the v1 trainer uid for group and rollout index when present', async () => {
    const lines = [
      { input: 'same prompt', output: 'b', score: 1, step: 5, uid: 's7_1_0' },
      { input: 'same prompt', output: 'a', score: 0, step: 5, uid: 's7_0_0' },
    ].map((x) => JSON.stringify(x));
    const res = await importFiles([{ name: '5.jsonl', bytes: enc(lines.join('\n')) }], { runId: 'r' });
    expect(res.rollouts.map((r) => [r.sampleIdx, r.completion])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
  });
});

describe('TRL completions', () => {
  it('maps rows: reward columns by function name, NaN kept, trainer advantage kept', async () => {
    const rows = trlRows(run, 1);
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: Object.keys(rows[0]).map((name) => ({ name, data: rows.map((r) => r[name]) })) }));
    const res = await importFiles([{ name: 'completions/completions_00001.parquet', bytes }], { runId: 'trl' });
    expect(res.format).toBe('trl');
    expect(res.rollouts).toHaveLength(12);
    expect(byGroup(res.rollouts).size).toBe(3);
    const r = res.rollouts.find((x) => Number.isNaN(x.rewards.reasoning_reward));
    expect(r).toBeDefined();
    expect(res.rollouts.every((x) => typeof x.advantage === 'number')).toBe(true);
    expect(res.rollouts[0].extra.judge_explanation).toBe('sufficient');
    expect(res.rollouts[0].perception?.total).toBeGreaterThanOrEqual(1);
  });

  it('reads the W&B {"columns","data"} export of the same table', async () => {
    const doc = wandbTable(trlRows(run, 2));
    const res = await importFiles([{ name: 'completions_2_abc.table.json', bytes: enc(JSON.stringify(doc)) }], { runId: 'wb' });
    expect(res.format).toBe('wandb-table');
    expect(res.rollouts).toHaveLength(12);
    expect(res.rollouts.every((r) => r.step === 2)).toBe(true);
  });

  it('unpivots a verl/EasyR1 validation table with input_i/output_i/score_i columns', async () => {
    const doc = { columns: ['step', 'input_1', 'output_1', 'score_1', 'input_2', 'output_2', 'score_2'], data: [[10, 'p1', 'o1', 1, 'p2', 'o2', 0]] };
    const res = await importFiles([{ name: 'val.table.json', bytes: enc(JSON.stringify(doc)) }], { runId: 'wb' });
    expect(res.rollouts.map((r) => [r.step, r.prompt, r.completion, r.rewards.score])).toEqual([
      [10, 'p1', 'o1', 1],
      [10, 'p2', 'o2', 0],
    ]);
  });
});

describe('inspect_ai logs', () => {
  const check = (rs: Rollout[]) => {
    expect(rs).toHaveLength(12);
    expect(new Set(rs.map((r) => r.groupId))).toEqual(new Set(['q0', 'q1', 'q2']));
    const q0 = rs.filter((r) => r.groupId === 'q0');
    expect(q0.map((r) => r.sampleIdx)).toEqual([0, 1, 2, 3]);
    // attachment:// resolved, score dict flattened onto the processes, explanation kept as judge text.
    expect(q0[0].completion).toContain('<observation>');
    expect(q0[0].perception?.total).toBeDefined();
    expect(q0[0].perception?.judge?.explanation).toBeUndefined();
    expect(q0[0].extra['pa_grpo.explanation']).toBe('The observation names the moving shape.');
    expect(q0[0].rewards.match === 0 || q0[0].rewards.match === 1).toBe(true);
    expect(q0[0].groundTruth).toMatch(/^[ABC]$/);
    expect(q0[0].prompt).toContain('user: ');
  };

  it('reads a .json EvalLog', async () => {
    const res = await importFiles([{ name: 'log.json', bytes: enc(JSON.stringify(inspectEvalLog(run))) }], { runId: 'i' });
    expect(res.format).toBe('inspect');
    check(res.rollouts);
  });

  it('reads a .eval ZIP with deflate members', async () => {
    const res = await importFiles([{ name: 'log.eval', bytes: inspectEvalZipDeflate(run) }], { runId: 'i' });
    check(res.rollouts);
  });

  it('reads a .eval ZIP with zstd members (method 93)', async () => {
    const bytes = inspectEvalZipZstd(run);
    expect(zipEntries(bytes).every((e) => e.method === 93)).toBe(true);
    const res = await importFiles([{ name: 'log.eval', bytes }], { runId: 'i' });
    check(res.rollouts);
  });

  it('decodes a multi-block zstd frame', () => {
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    const zip = inspectEvalZipZstd([]);
    expect(zipEntries(zip)).toHaveLength(0);
    const frame = zstdRawFrame(data);
    const entry = { name: 'x', method: 93, compressedSize: frame.length, size: data.length, offset: 0 };
    const local = new Uint8Array(30 + frame.length);
    new DataView(local.buffer).setUint32(0, 0x04034b50, true);
    local.set(frame, 30);
    expect(readZipEntry(local, entry)).toEqual(data);
  });
});

describe('RL Logging Board JSON Lines', () => {
  it('keeps the per-token arrays as a token lane', async () => {
    const res = await importFiles([{ name: 'board/rollouts.jsonl', bytes: enc(rllbJsonl(run)) }], { runId: 'rl' });
    expect(res.format).toBe('rllb');
    expect(res.rollouts).toHaveLength(run.length);
    const r = res.rollouts[0];
    expect(r.tokens?.tokens.join('')).toBe(r.completion);
    expect(r.tokens?.logprob).toHaveLength(r.tokens!.tokens.length);
    expect(r.tokens?.advantage).toHaveLength(r.tokens!.tokens.length);
    expect(r.tokens?.tokenReward).toBeDefined();
    expect(r.rewards.reward).toBeGreaterThan(0);
    expect(byGroup(res.rollouts).size).toBe(6);
  });
});

describe('Video-R1 evaluation JSON', () => {
  it('reads {"results": [...]} with the reward as reasoning accuracy', async () => {
    const res = await importFiles([{ name: 'eval_mvbench_x_greedy_output.json', bytes: enc(JSON.stringify(videoR1Eval(run))) }], { runId: 'v' });
    expect(res.format).toBe('videor1-eval');
    expect(res.rollouts).toHaveLength(3);
    const r = res.rollouts[0];
    expect(r.split).toBe('val');
    expect(r.groundTruth).toMatch(/<answer>[ABC]<\/answer>/);
    expect(r.reasoning?.accuracy).toBe(r.rewards.accuracy);
    expect(r.prompt).toContain('A. left');
    expect(r.extra.problem_type).toBe('multiple choice');
  });
});

describe('our own export', () => {
  it('round-trips through JSON Lines keeping breakdowns and advantages', async () => {
    const first = await importFiles([{ name: '1.jsonl', bytes: enc(verlStepJsonl(run, 1)) }], { runId: 'r' });
    const jsonl = first.rollouts.map((r) => JSON.stringify(r)).join('\n');
    const again = await importFiles([{ name: 'export.jsonl', bytes: enc(jsonl) }], { runId: 'r2' });
    expect(again.format).toBe('native');
    expect(again.rollouts).toHaveLength(first.rollouts.length);
    const a = first.rollouts[5];
    const b = again.rollouts.find((x) => x.groupId === a.groupId && x.sampleIdx === a.sampleIdx)!;
    expect(b.perception).toEqual(a.perception);
    expect(b.advantages!.perception).toBeCloseTo(a.advantages!.perception, 12);
    expect(b.runId).toBe('r2');
  });

  it('rejects an unknown file with a hint', async () => {
    await expect(parseFile({ name: 'x.jsonl', bytes: enc('{"foo": 1}') }, { runId: 'r' })).rejects.toThrow(/unrecognised records/);
  });
});
