// The two-pass scoring core (src/rewards/scoring_stream.ts) without the CLI: non-contiguous groups,
// the group length rule across a scattered group, line numbering, and a changed input between passes.

import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/rewards/config';
import { FieldJudge } from '../../src/rewards/judge';
import { decodeLines, documentRecords, emitPass, invalidUtf8Lines, linesToItems, scorePass, scoreValues, type BadRecord, type StreamOptions } from '../../src/rewards/scoring_stream';
import { WhitespaceTokenizer } from '../../src/rewards/tokenizers';
import type { JudgeRequest, JudgeVerdict, PerceptionJudge } from '../../src/rewards/types';

function rollout(problem_id: string, answer: string, seen = 1) {
  return {
    problem_id,
    problem: 'Which?',
    problem_type: 'multiple choice',
    options: ['A. x', 'B. y'],
    solution: '<answer>A</answer>',
    output: `<observation> a b c </observation> <think> w w w </think> <answer> ${answer} </answer>`,
    seen,
  };
}

// Whitespace tokens: perception 5, reasoning 8; both inside these targets.
function options(overrides: Partial<StreamOptions> = {}): StreamOptions {
  return {
    config: resolveConfig('pa-grpo', { perceptionLength: { min: 1, max: 10 }, reasoningLength: { min: 1, max: 10 } }),
    tokenizer: new WhitespaceTokenizer(),
    judge: new FieldJudge('seen'),
    ...overrides,
  };
}

describe('scoreValues', () => {
  it('applies lenRequiresMultipleCorrect across a group whose rollouts are scattered through the input', async () => {
    const values = [rollout('p', 'A'), rollout('q', 'A'), rollout('p', 'B'), rollout('q', 'A'), rollout('p', 'B')];
    const opts = options();
    opts.config.lenRequiresMultipleCorrect = true;
    const { lines, summary } = await scoreValues(values, opts);
    const out = lines.map((l) => JSON.parse(l));
    // p has one correct rollout: no reasoning length bonus; q has two: both keep it.
    expect(out.map((o) => o.rewards.reasoning.length)).toEqual([0, 0.2, 0, 0.2, 0]);
    expect(out[0].rewards.reasoning.total).toBe(2);
    expect(out[1].rewards.reasoning.total).toBeCloseTo(2.2, 12);
    expect(out.map((o) => o.diagnostics.groupSize)).toEqual([3, 2, 3, 2, 3]);
    expect(summary).toMatchObject({ records: 5, scored: 5, bad: 0, groups: 2, collapsedReasoning: 1, collapsedPerception: 2, collapsedBoth: 1 });
  });

  it('gives the same advantages whatever the order of the records', async () => {
    const values = [rollout('p', 'A', 1), rollout('p', 'B', 0), rollout('q', 'A', 0), rollout('p', 'A', 0), rollout('q', 'B', 1)];
    const order = [4, 2, 0, 3, 1];
    const a = (await scoreValues(values, options())).lines.map((l) => JSON.parse(l));
    const b = (await scoreValues(order.map((i) => values[i]), options())).lines.map((l) => JSON.parse(l));
    order.forEach((from, to) => expect(b[to].advantages).toEqual(a[from].advantages));
  });

  it('overlaps slow judge calls up to the concurrency limit and keeps the input order', async () => {
    let active = 0;
    let peak = 0;
    const slow: PerceptionJudge = {
      name: 'slow',
      async judge(_r: JudgeRequest): Promise<JudgeVerdict> {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
        return { verdict: 1 };
      },
    };
    const values = Array.from({ length: 20 }, (_, i) => ({ ...rollout(`g${i % 4}`, i % 3 === 0 ? 'A' : 'B'), idx: i }));
    const { lines } = await scoreValues(values, options({ judge: slow, concurrency: 3 }));
    expect(peak).toBe(3);
    expect(lines.map((l) => JSON.parse(l).idx)).toEqual(values.map((v) => v.idx));
  });

  it('reports a bad record with the source and its number, and keeps it in place', async () => {
    const bad: BadRecord[] = [];
    const { lines, summary } = await scoreValues([rollout('p', 'A'), 42, { problem_id: 'p' }], options({ source: 'eval.json', onBadRecord: (b) => bad.push(b) }));
    expect(bad.map((b) => b.message)).toEqual(['eval.json:2: not a JSON object', 'eval.json:3: missing fields: problem, problem_type, solution, output']);
    expect(JSON.parse(lines[1])).toEqual({ raw: 42, error: 'not a JSON object' });
    expect(summary).toMatchObject({ scored: 1, bad: 2 });
  });
});

describe('reading JSON Lines', () => {
  it('numbers lines from 1, skips blank lines and strips a BOM and carriage returns', async () => {
    const items = [];
    for await (const item of linesToItems(['\uFEFF{"a":1}\r', '', '  ', '{"b":2}'])) items.push(item);
    expect(items).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 4, text: '{"b":2}' },
    ]);
  });

  it('splits bytes into lines as readline does: \\n, \\r\\n and a lone \\r, even across chunk boundaries', async () => {
    const enc = new TextEncoder();
    const text = 'a\r\nbé\rc\n\nd€';
    const whole = enc.encode(text);
    const expected = ['a', 'bé', 'c', '', 'd€'];
    // Every split point of the bytes, including inside '\r\n' and inside the multi-byte é and €.
    for (let cut = 0; cut <= whole.length; cut++) {
      const lines: string[] = [];
      for await (const l of decodeLines([whole.subarray(0, cut), whole.subarray(cut)])) lines.push(l);
      expect(lines, `cut at byte ${cut}`).toEqual(expected);
    }
    const trailing: string[] = [];
    for await (const l of decodeLines([enc.encode('x\ny\n')])) trailing.push(l);
    expect(trailing).toEqual(['x', 'y']);
  });

  it('reports each line with invalid UTF-8 by number and replaces only the bad bytes', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"a":"ok"}\n{"a":"'), 0xff, 0xfe, ...new TextEncoder().encode('x"}\n\uFFFD fine\n'), 0xc3]);
    const bad: number[] = [];
    const lines: string[] = [];
    for await (const l of decodeLines([bytes], (n) => bad.push(n))) lines.push(l);
    expect(bad).toEqual([2, 4]); // a real U+FFFD (line 3) is valid UTF-8; a truncated sequence at EOF is not
    expect(lines).toEqual(['{"a":"ok"}', '{"a":"\uFFFD\uFFFDx"}', '\uFFFD fine', '\uFFFD']);
    expect(await invalidUtf8Lines(bytes)).toEqual([2, 4]);
  });

  it('finds the records of a Video-R1 document or a list, and nothing else', () => {
    expect(documentRecords({ results: [1, 2], final_acc: [] })).toEqual([1, 2]);
    expect(documentRecords([3])).toEqual([3]);
    expect(documentRecords({ problem_id: 1 })).toBeNull();
  });

  it('refuses a second pass over an input that changed', async () => {
    const first = [JSON.stringify(rollout('p', 'A')), JSON.stringify(rollout('p', 'B'))];
    const table = await scorePass(linesToItems(first), options());
    const drain = async (lines: string[]) => {
      const out = [];
      for await (const l of emitPass(linesToItems(lines), table)) out.push(l);
      return out;
    };
    expect(await drain(first)).toHaveLength(2);
    await expect(drain([first[0]])).rejects.toThrow(/has 1 records but pass 1 saw 2/);
    await expect(drain([...first, first[0]])).rejects.toThrow(/more records than in pass 1/);
  });
});
