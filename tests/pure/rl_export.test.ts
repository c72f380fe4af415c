// RL rollouts → the inspector's canonical records → JSON Lines → the inspector's importer: the run
// comes back as 'native' with its groups, breakdowns, process advantages and token lanes intact.
// Also the RL batch layout: row completionStart − 1 + j predicts token j.

import { describe, expect, it } from 'vitest';
import { importFiles } from '../../src/rollouts/importers';
import { toJsonl } from '../../src/rollouts/export';
import { makeConfig } from '../../src/model/config';
import { decodeWithOffsets, encode, EOS } from '../../src/model/tokenizer';
import { parseCompletion } from '../../src/rewards/template';
import { gatherRows, microRlPrompts, rlBatch, scatterRows, syntheticRlPrompts, tokenSegments } from '../../src/train/rl_data';
import { toInspectorRollout, tokenStrings } from '../../src/train/rl_export';
import type { RlRollout } from '../../src/train/rl';
import type { LogPoint } from '../../src/train/protocol';
import { rlRows } from '../../src/ui/train/TrainCharts';

const prompts = microRlPrompts(2, 4);

function rollout(p: number, sampleIdx: number, text: string, aP: number, aR: number): RlRollout {
  const ids = [...encode(text).ids, EOS];
  const { offsets } = decodeWithOffsets(ids);
  const perceptionEnd = parseCompletion(text).perceptionEnd;
  const segment = tokenSegments(offsets, perceptionEnd);
  const pr = prompts[p];
  return {
    step: 3, promptIndex: p, groupIndex: p, sampleIdx, problemId: String(pr.record.problem_id), prompt: pr.prompt, record: pr.record,
    text, ids, offsets, finished: true, perceptionEnd, segment,
    perception: { accuracy: 1, format: 1, length: 0, total: 2 }, reasoning: { accuracy: 0, format: 1, length: 0, total: 1 },
    judge: { verdict: 1, explanation: 'all 1 facts stated' },
    advantages: { perception: aP, reasoning: aR, grpo: aR },
    sampleLogp: new Float32Array(ids.length).fill(-0.5), logp: new Float32Array(ids.length).fill(-0.25), refLogp: new Float32Array(ids.length).fill(-0.3),
    tokenAdvantage: Float32Array.from(segment, (k) => (k === 1 ? aP : aR)),
  };
}

describe('RL rollouts export', () => {
  it('round-trips through the inspector importer as our own (native) format', async () => {
    const rs = [rollout(0, 0, prompts[0].gold!, 0.5, -0.5), rollout(0, 1, 'héllo <answer>A</answer>', -0.5, 0.5), rollout(1, 0, prompts[1].gold!, 0, 0), rollout(1, 1, prompts[1].gold!, 0, 0)];
    const jsonl = toJsonl(rs.map((r) => toInspectorRollout(r, 'run-1')));
    const res = await importFiles([{ name: 'rollouts.jsonl', bytes: new TextEncoder().encode(jsonl) }], { runId: 'run-1' });
    expect(res.format).toBe('native');
    expect(res.rollouts).toHaveLength(4);
    const back = res.rollouts.find((r) => r.groupId === String(prompts[0].record.problem_id) && r.sampleIdx === 0)!;
    expect(back.step).toBe(4); // the trainer's step 3, numbered from 1 as the Train page does
    expect(back.completion).toBe(prompts[0].gold);
    expect(back.perception?.total).toBe(2);
    expect(back.reasoning?.accuracy).toBe(0);
    expect(back.advantages?.perception).toBe(0.5);
    expect(back.advantages?.reasoning).toBe(-0.5);
    expect(back.tokens?.tokens).toHaveLength(rs[0].ids.length);
    expect(back.tokens?.tokens.at(-1)).toBe('<eos>');
    expect(back.tokens?.advantage?.[0]).toBe(0.5);
    expect(back.tokens?.advantage?.at(-1)).toBe(-0.5);
    expect(new Set(res.rollouts.map((r) => r.groupId)).size).toBe(2);
  });

  it('numbers steps as the Train charts do (from 1), in the record, its id and its re-import (issue 11)', async () => {
    const r = rollout(0, 0, prompts[0].gold!, 0.5, -0.5); // the trainer's 0-based step 3
    const point = { step: r.step, loss: 1, lr: 1e-3, gradNorm: 1, entropy: 1, skipped: false, tokensPerSec: 1, msPerStep: 1, rl: { perception: { total: 1, accuracy: 1, format: 1, length: 0 }, reasoning: { total: 1, accuracy: 1, format: 1, length: 0 }, kl: 0, segmentP: 1, segmentR: 1, collapsedP: 0, collapsedR: 0, collapsedBoth: 0 } };
    const chartStep = rlRows([point as unknown as LogPoint])[0].step;
    const record = toInspectorRollout(r, 'run-1');
    expect(record.step).toBe(chartStep);
    expect(record.step).toBe(r.step + 1);
    expect(record.id).toBe(`run-1|${chartStep}|${record.groupId}|0`);
    const res = await importFiles([{ name: 'rollouts.jsonl', bytes: new TextEncoder().encode(toJsonl([record])) }], { runId: 'run-1' });
    expect(res.rollouts[0].step).toBe(chartStep);
  });

  it('token strings: one per id, a multi-byte character on its first byte', () => {
    const r = rollout(0, 1, 'héllo', 0, 0);
    expect(tokenStrings(r)).toEqual(['h', 'é', '', 'l', 'l', 'o', '<eos>']);
  });

  it('rlBatch puts token j of rollout b on row completionStart − 1 + j; scatter and gather agree', () => {
    const { model } = makeConfig('test');
    const ids = [[104, 105, EOS], [120]];
    const batch = rlBatch(prompts.map((p, b) => ({ frames: p.frames, prompt: p.prompt, ids: ids[b] })), model);
    expect(batch.targetCount).toBe(4);
    ids.forEach((seq, b) => {
      const s = batch.completionStart[b];
      seq.forEach((id, j) => {
        expect(batch.tokens[b * batch.T + s + j]).toBe(id);
        expect(batch.targets[b * batch.T + s - 1 + j]).toBe(id);
      });
      expect(batch.lengths[b]).toBe(s + seq.length);
    });
    const rows = scatterRows(batch, [[1, 2, 3], [4]], new Float32Array(batch.B * batch.T));
    expect(Array.from(gatherRows(batch, rows, 0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(gatherRows(batch, rows, 1, 1))).toEqual([4]);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('synthetic prompts carry the facts the rule judge needs', () => {
    const ps = syntheticRlPrompts(1, 2, { frames: 2, size: 16 });
    expect(ps).toHaveLength(5);
    for (const p of ps) {
      expect(p.record.facts?.length).toBeGreaterThan(0);
      expect(p.gold).toMatch(/^<observation>/);
    }
  });
});
