// Benchmark-format evaluation (issue 14 §3): MRA, accuracy, WER and ROUGE per answer, aggregation per
// task, benchmark and overall, the table in the layout of the paper's Table 1, and the Video-R1
// evaluation JSON reader with its file:line errors. Every expected value is computed by hand below.

import { describe, expect, it } from 'vitest';
import {
  benchmarkInfo,
  isBenchmarkResult,
  modelOfBenchmarks,
  meanRelativeAccuracy,
  metricFor,
  modelResult,
  MRA_THRESHOLDS,
  mraOfText,
  scoreItem,
  type EvalItem,
} from '../../src/rewards/benchmark_eval';
import { evaluationFileInfo, listElementLines, OutputsFileError, parseEvaluationOutputs } from '../../src/rewards/benchmark_outputs';
import { evaluateOutputFiles } from '../../src/rewards/benchmark_files';
import { benchmarkTable, formatBenchmarkTable } from '../../src/rewards/benchmark_table';
import { jsonSyntaxError } from '../../src/rewards/json_error';
import { heldOutEvaluationJson, HELD_OUT_BENCHMARK } from '../../src/train/heldout_benchmark';
import { heldOutPrompts } from '../../src/train/heldout';
import { PRESET_SYNTHETIC } from '../../src/train/rl_data';

const item = (benchmark: string, problemType: EvalItem['problemType'], prediction: string, groundTruth: string, task = 't'): EvalItem => ({
  benchmark,
  task,
  problemType,
  prediction,
  groundTruth,
});

describe('Mean Relative Accuracy (VSI-Bench)', () => {
  it('has the ten thresholds 0.50, 0.55, …, 0.95', () => {
    expect(MRA_THRESHOLDS).toHaveLength(10);
    expect(MRA_THRESHOLDS[0]).toBe(0.5);
    expect(MRA_THRESHOLDS[9]).toBe(0.95);
    for (let i = 1; i < 10; i++) expect(MRA_THRESHOLDS[i] - MRA_THRESHOLDS[i - 1]).toBeCloseTo(0.05, 12);
  });

  it('reproduces hand-computed values', () => {
    // y = 10, ŷ = 8: relative error 0.2. θ counts when 0.2 ≤ 1 − θ, i.e. θ ≤ 0.8; but in float64
    // 1 − 0.8 = 0.19999999999999996 < 0.2, so θ ∈ {0.50 … 0.75}: 6 of 10.
    expect(meanRelativeAccuracy(8, 10)).toBe(0.6);
    // ŷ = 12: the same error above: 0.6.
    expect(meanRelativeAccuracy(12, 10)).toBe(0.6);
    // y = 10, ŷ = 15: error 0.5 ≤ 1 − θ only for θ = 0.50: 1 of 10.
    expect(meanRelativeAccuracy(15, 10)).toBe(0.1);
    // ŷ = 16: error 0.6 > 0.5 = the largest 1 − θ: 0.
    expect(meanRelativeAccuracy(16, 10)).toBe(0);
    // y = 100, ŷ = 93: error 0.07 ≤ 1 − θ for θ ≤ 0.90 (1 − 0.9 ≈ 0.1), not 0.95 (0.05): 9 of 10.
    expect(meanRelativeAccuracy(93, 100)).toBe(0.9);
    // y = 100, ŷ = 97: error 0.03 ≤ 0.05: all 10.
    expect(meanRelativeAccuracy(97, 100)).toBe(1);
    expect(meanRelativeAccuracy(10, 10)).toBe(1);
  });

  it('counts an error exactly on a threshold, as VSI-Bench does (≤, not <)', () => {
    // y = 4, ŷ = 3 and y = 10, ŷ = 7.5: error 0.25 = 1 − 0.75 exactly in float64, so θ ∈ {0.50 … 0.75}: 6
    // of 10 (a strict < would give 5 of 10).
    expect(meanRelativeAccuracy(3, 4)).toBe(0.6);
    expect(meanRelativeAccuracy(7.5, 10)).toBe(0.6);
  });

  it('scores a zero ground truth, a non-finite value and unparsable text without dividing by zero', () => {
    expect(meanRelativeAccuracy(0, 0)).toBe(1);
    expect(meanRelativeAccuracy(1, 0)).toBe(0);
    expect(meanRelativeAccuracy(Infinity, 10)).toBe(0);
    expect(mraOfText('eight', '10')).toBe(0);
    expect(mraOfText('1,000', '1000')).toBe(1); // commas dropped, as Video-R1's normalize_number does
    expect(mraOfText('8', '10')).toBe(0.6);
  });
});

describe('scoring one answer in its benchmark format', () => {
  it('scores multiple choice by Video-R1 exact match of the stripped answer', () => {
    expect(scoreItem(item('MVBench', 'multiple choice', 'B', 'B')).score).toBe(1);
    expect(scoreItem(item('MVBench', 'multiple choice', ' B ', 'B')).score).toBe(1);
    expect(scoreItem(item('MVBench', 'multiple choice', 'B.', 'B')).score).toBe(0);
    expect(scoreItem(item('MVBench', 'multiple choice', 'b', 'B')).score).toBe(0);
  });

  it('scores numerical answers by MRA in VSI-Bench and by exact match elsewhere, unless told', () => {
    // '3' against '3.0': Video-R1's numerical rule gives 0 (one side has a '.'); MRA gives 1 (same number).
    expect(metricFor('numerical', 'vsibench')).toBe('mra');
    expect(scoreItem(item('VSI-Bench', 'numerical', '3', '3.0')).score).toBe(1);
    expect(metricFor('numerical', 'VideoMMMU')).toBe('accuracy');
    expect(scoreItem(item('VideoMMMU', 'numerical', '3', '3.0')).score).toBe(0);
    expect(scoreItem(item('VideoMMMU', 'numerical', '8', '10'), 'mra').score).toBe(0.6);
    expect(scoreItem(item('VSI-Bench', 'numerical', '8', '10'), 'exact').score).toBe(0);
    // regression is MRA everywhere
    expect(scoreItem(item('VideoMMMU', 'regression', '8', '10'), 'exact').score).toBe(0.6);
  });

  it('scores OCR by 1 − WER, clamped, and keeps the WER', () => {
    // reference "hello world", hypothesis "hello": one deletion over two words, WER 0.5.
    const a = scoreItem(item('X', 'OCR', 'hello', 'hello world'));
    expect(a.wer).toBe(0.5);
    expect(a.score).toBe(0.5);
    // hypothesis "hello big world there": two insertions, WER 2/2 = 1, score 0.
    const b = scoreItem(item('X', 'OCR', 'hello big world there', 'hello world'));
    expect(b.wer).toBe(1);
    expect(b.score).toBe(0);
    // "a b c d" against "a": WER 3, clamped to score 0.
    expect(scoreItem(item('X', 'OCR', 'a b c d', 'a')).score).toBe(0);
  });

  it('scores free-form answers by the mean of ROUGE-1, ROUGE-2 and ROUGE-L F1', () => {
    // reference "the cat sat on the mat" (6 tokens, 5 bigrams), prediction "the cat sat" (3, 2):
    // ROUGE-1 P 3/3 R 3/6 F 2/3; ROUGE-2 P 2/2 R 2/5 F 4/7; ROUGE-L (LCS 3) F 2/3; mean 40/63.
    expect(scoreItem(item('X', 'free-form', 'the cat sat', 'the cat sat on the mat')).score).toBeCloseTo(40 / 63, 12);
    expect(scoreItem(item('X', 'free-form', 'dog', 'the cat sat on the mat')).score).toBe(0);
  });
});

describe('aggregation per task, benchmark and model', () => {
  it("scores VSI-Bench as the average of ACC and MRA, and other benchmarks as the mean over answers", () => {
    const items = [
      item('vsibench', 'multiple choice', 'A', 'A', 'rel_dir'),
      item('vsibench', 'multiple choice', 'B', 'A', 'rel_dir'),
      item('vsibench', 'multiple choice', 'C', 'C', 'route'),
      item('vsibench', 'multiple choice', 'D', 'D', 'route'),
      item('vsibench', 'regression', '8', '10', 'count'),
      item('vsibench', 'regression', '20', '20', 'size'),
    ].map((i) => scoreItem(i));
    const m = modelResult('m', items);
    const vsi = m.benchmarks[0];
    // ACC over the 4 MC answers: 3/4; MRA over the 2 numeric ones: (0.6 + 1)/2 = 0.8; VSI = (0.75 + 0.8)/2.
    expect(vsi.name).toBe('VSI-Bench');
    expect(vsi.parts.accuracy).toEqual({ n: 4, score: 0.75 });
    expect(vsi.parts.mra?.n).toBe(2);
    expect(vsi.parts.mra?.score).toBeCloseTo(0.8, 12);
    expect(vsi.score).toBeCloseTo(0.775, 12);
    // the mean over all six answers: (3 + 1.6)/6
    expect(vsi.micro).toBeCloseTo(4.6 / 6, 12);
    expect(vsi.tasks.map((t) => [t.task, t.n, t.score])).toEqual([
      ['rel_dir', 2, 0.5],
      ['route', 2, 1],
      ['count', 1, 0.6],
      ['size', 1, 1],
    ]);
    expect(m.avg).toBeNull(); // not all seven benchmarks
    expect(m.avgPresent).toBeCloseTo(0.775, 12);
  });

  it("averages the seven benchmarks unweighted into Avg, in the paper's column order", () => {
    // VSI (1 MC right, MRA 0.6) = 0.8; VideoMMMU 1; MMVU 0; VCR 1; MVBench 1 of 2 = 0.5; TempCompass 1;
    // VideoMME 0. Avg = 4.3 / 7 = 0.6142857…; the mean over the 9 answers would be (0+1+1+0+1+0+1+1+0.6)/9 = 5.6/9.
    const items = [
      item('Video-MME', 'multiple choice', 'A', 'B'),
      item('TempCompass', 'multiple choice', 'A', 'A'),
      item('MVBench', 'multiple choice', 'A', 'A'),
      item('MVBench', 'multiple choice', 'A', 'B'),
      item('VCR-Bench', 'multiple choice', 'A', 'A'),
      item('MMVU', 'multiple choice', 'A', 'C'),
      item('VideoMMMU', 'multiple choice', 'A', 'A'),
      item('VSI-Bench', 'multiple choice', 'A', 'A'),
      item('VSI-Bench', 'regression', '8', '10'),
    ].map((i) => scoreItem(i));
    const m = modelResult('ours', items);
    expect(m.benchmarks.map((b) => b.label)).toEqual(['VSI.', 'VideoMMMU', 'MMVU', 'VCR.', 'MV.', 'TempCom.', 'VideoMME']);
    expect(m.avg).toBeCloseTo(4.3 / 7, 12);
    expect(m.micro).toBeCloseTo(5.6 / 9, 12);
    const text = formatBenchmarkTable(benchmarkTable([m]));
    expect(text).toContain('| ours | 80.0 | 100.0 | 0.0 | 100.0 | 50.0 | 100.0 | 0.0 | 61.4 |');
    expect(text.split('\n')[0]).toBe('| Model | Video Reasoning |  |  |  | Video Understanding |  |  | Avg |');
  });

  it('gives a benchmark outside the paper its own column under Other, and adds the paper rows when asked', () => {
    const m = modelResult('ours', [scoreItem(item('P2R held-out', 'multiple choice', 'A', 'A')), scoreItem(item('mvbench', 'multiple choice', 'A', 'B'))]);
    const t = benchmarkTable([m], { paperRows: true });
    expect(t.columns.map((c) => c.label).slice(-1)).toEqual(['P2R held-out']);
    expect(t.groups.at(-1)).toEqual({ label: 'Other', span: 1 });
    expect(t.sections[0].rows[0].cells).toEqual([null, null, null, null, 0, null, null, 100]);
    const p2r = t.sections.flatMap((s) => s.rows).find((r) => r.model === 'VideoP2R (paper)');
    expect(p2r?.cells.slice(0, 7)).toEqual([36.8, 55.0, 65.4, 51.0, 68.1, 74.5, 60.0]);
    expect(p2r?.avg).toBe(58.7);
  });

  it('recognises the benchmarks by any spelling', () => {
    for (const name of ['vsibench', 'VSI-Bench', 'VSI.', 'vsi']) expect(benchmarkInfo(name).label).toBe('VSI.');
    expect(benchmarkInfo('video-mme').label).toBe('VideoMME');
    expect(benchmarkInfo('TempCom.').name).toBe('TempCompass');
    expect(benchmarkInfo('MyBench').group).toBeNull();
  });
});

describe('reading Video-R1 evaluation JSON', () => {
  it("takes benchmark and model from Video-R1's file name", () => {
    expect(evaluationFileInfo('out/eval_vsibench_Qwen2.5-VL-7B-COT-SFT_greedy_output.json')).toEqual({ benchmark: 'vsibench', model: 'Qwen2.5-VL-7B-COT-SFT' });
    expect(evaluationFileInfo('results.json')).toBeNull();
  });

  it('finds the line of each record of the results list, whatever its strings hold', () => {
    const text = '{\n  "note": "[not, a, list]",\n  "results": [\n    {"a": "]"},\n    {"b": [1, 2]}, {"c": {}},\n\n    7\n  ],\n  "final_acc": [{"mean_acc": 0.5}]\n}';
    expect(listElementLines(text)).toEqual([4, 5, 5, 7]);
    expect(listElementLines('[\n{"a": 1},\n{"a": 2}\n]')).toEqual([2, 3]);
  });

  it('extracts the answers, using the whole output when it has no <answer>', () => {
    const doc = JSON.stringify({
      results: [
        { problem_type: 'multiple choice', solution: '<answer>B</answer>', output: '<think>x</think><answer> B </answer>', question_type: 'route_planning' },
        { problem_type: 'regression', solution: '<answer>10</answer>', output: ' 8 ' },
      ],
    });
    const p = parseEvaluationOutputs(doc, { fallbackBenchmark: 'vsibench' });
    expect(p.format).toBe('videor1-results');
    expect(p.errors).toEqual([]);
    expect(p.items.map((i) => [i.prediction, i.groundTruth, i.task, i.benchmark])).toEqual([
      ['B', 'B', 'route_planning', 'vsibench'],
      ['8', '10', 'regression', 'vsibench'],
    ]);
  });

  it('reports each bad record with the line it starts on and the field at fault, and keeps the others', () => {
    const text = [
      '{"results": [', // 1
      '  {"problem_type": "multiple choice", "solution": "<answer>A</answer>", "output": "A"},', // 2
      '  {"problem_type": "multiple choice",', // 3
      '   "solution": "<answer>A</answer>"},', // 4
      '  {"problem_type": "essay", "solution": "<answer>A</answer>", "output": "A"},', // 5
      '  {"problem_type": "OCR", "output": "A"},', // 6
      '  "not a record"', // 7
      ']}', // 8
    ].join('\n');
    const p = parseEvaluationOutputs(text, { benchmark: 'mmvu' });
    expect(p.records).toBe(5);
    expect(p.items.map((i) => i.line)).toEqual([2]);
    expect(p.errors.map((e) => [e.line, e.field])).toEqual([
      [3, 'output'],
      [5, 'problem_type'],
      [6, 'solution'],
      [7, null],
    ]);
  });

  it('reads JSON Lines, naming the line of invalid JSON', () => {
    const text = '{"problem_type": "multiple choice", "solution": "<answer>A</answer>", "output": "A", "benchmark": "MVBench"}\n\n{"problem_type": oops}\n';
    const p = parseEvaluationOutputs(text);
    expect(p.format).toBe('json-lines');
    expect(p.items).toHaveLength(1);
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0].line).toBe(3);
    expect(p.errors[0].message).toMatch(/invalid JSON/);
  });

  it('refuses a file that is no outputs file, naming the line of a syntax error', () => {
    expect(() => parseEvaluationOutputs('')).toThrow(OutputsFileError);
    expect(() => parseEvaluationOutputs('{"results": []}')).toThrow(/no records/);
    expect(() => parseEvaluationOutputs('{"model": "x", "score": 3}')).toThrow(/without a "results" list/);
    expect(() => parseEvaluationOutputs('[\n{"a": 1},\n{"a": 2,,}\n]')).toThrow(/line 3, column 9: invalid JSON: expected a key/);
  });

  it('locates a JSON syntax error by line and column', () => {
    expect(jsonSyntaxError('{"a": [1, {"b": null}], "c": "x\\n"}')).toBeNull();
    expect(jsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toEqual({ line: 3, column: 3, message: "expected ',' or '}', found '\"'" });
    expect(jsonSyntaxError('[1, 2,]')).toMatchObject({ line: 1, column: 7, message: "expected a value, found ']'" });
    expect(jsonSyntaxError('{"a": "open')).toMatchObject({ line: 1, message: 'unterminated string' });
    expect(jsonSyntaxError('{"a": 1} x')).toMatchObject({ line: 1, column: 10 });
    expect(jsonSyntaxError('[01]')).toMatchObject({ column: 3 });
  });

  it('needs a benchmark for each record and says where to give one', () => {
    const p = parseEvaluationOutputs('[{"problem_type": "multiple choice", "solution": "<answer>A</answer>", "output": "A"}]');
    expect(p.errors[0].field).toBe('benchmark');
    expect(p.errors[0].message).toMatch(/--benchmark/);
  });

  it('scores several files into one row per model', () => {
    const mc = (answer: string) => ({ problem_type: 'multiple choice', solution: '<answer>A</answer>', output: `<answer>${answer}</answer>` });
    const r = evaluateOutputFiles([
      { name: 'eval_mvbench_M1_greedy_output.json', text: JSON.stringify({ results: [mc('A'), mc('B')] }) },
      { name: 'eval_mmvu_M1_greedy_output.json', text: JSON.stringify({ results: [mc('A')] }) },
      { name: 'other.json', text: JSON.stringify({ results: [mc('B')] }), model: 'M2', benchmark: 'MVBench' },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.models.map((m) => [m.model, m.benchmarks.map((b) => [b.key, b.score])])).toEqual([
      ['M1', [['mmvu', 1], ['mvbench', 0.5]]],
      ['M2', [['mvbench', 0]]],
    ]);
  });
});

describe("our checkpoint's held-out answers as Video-R1 evaluation JSON", () => {
  it('scores the gold answers 100% and a wrong one lower, one task per family', () => {
    const prompts = heldOutPrompts(9, PRESET_SYNTHETIC.tiny);
    const gold = prompts.map((p) => p.gold ?? '');
    expect(gold.every((g) => g.includes('<answer>'))).toBe(true);
    const evaluate = (outputs: string[]) => evaluateOutputFiles([{ name: 'held-out', text: JSON.stringify(heldOutEvaluationJson(prompts, outputs)), model: 'ckpt' }]);
    const right = evaluate(gold);
    expect(right.errors).toEqual([]);
    const b = right.models[0].benchmarks[0];
    expect(b.name).toBe(HELD_OUT_BENCHMARK);
    expect(b.score).toBe(1);
    expect(b.tasks.map((t) => t.task).sort()).toEqual(['count', 'direction', 'same']);
    const doc = heldOutEvaluationJson(prompts, gold);
    expect(doc.results.every((r) => r.correct === true)).toBe(true);
    // one answer replaced by a wrong one: 8 of 9 still right in full
    const wrong = [...gold];
    wrong[0] = '<answer>nothing like it</answer>';
    const w = evaluate(wrong).models[0].benchmarks[0];
    expect(w.score).toBeLessThan(1);
    expect(w.score).toBeGreaterThanOrEqual(8 / 9);
  });
});

describe('the benchmark result of a held-out evaluation in checkpoint metadata', () => {
  it('survives encodeHeldOut and decodeHeldOut, and a malformed one is recognised as such', async () => {
    const { encodeHeldOut, decodeHeldOut } = await import('../../src/train/protocol');
    const { heldOutBenchmark } = await import('../../src/train/heldout_benchmark');
    const prompts = heldOutPrompts(6, PRESET_SYNTHETIC.tiny);
    const benchmark = heldOutBenchmark(prompts, prompts.map((p) => p.gold ?? ''));
    const report = { questions: 6, format_perception: 1, format_reasoning: 1, answer_accuracy: 1, perception_judge_accuracy: 1, mean_tokens: 9, by_problem_type: {}, by_family: {} };
    const [back] = decodeHeldOut(encodeHeldOut([{ step: 3, ms: 10, report, benchmark }]));
    expect(isBenchmarkResult(back.benchmark)).toBe(true);
    expect(back.benchmark).toEqual(benchmark);
    expect(isBenchmarkResult({ ...benchmark, tasks: 'none' })).toBe(false);
    expect(isBenchmarkResult(undefined)).toBe(false);
    // the panel's row for it: one benchmark, no paper Avg
    const row = modelOfBenchmarks('this run', [benchmark]);
    expect(row.avg).toBeNull();
    expect(row.avgPresent).toBe(1);
    expect(row.n).toBe(6);
  });
});
