// Our own held-out answers in Video-R1's evaluation JSON (method.md §5.3 item 2), so a checkpoint's
// outputs go through the same benchmark scoring as another model's files (src/rewards/benchmark_*.ts)
// and can be loaded in the Evaluate panel beside them. The synthetic questions are no benchmark of the
// paper: they form a benchmark of their own, HELD_OUT_BENCHMARK, one task per family.

import { extractAnswer } from '../rewards/template';
import { pyStrip } from '../rewards/python';
import { accuracyReward, normalizeNumber } from '../rewards/accuracy';
import { meanRelativeAccuracy, type BenchmarkResult } from '../rewards/benchmark_eval';
import { evaluateOutputFiles } from '../rewards/benchmark_files';
import type { RlPrompt } from './rl_data';

/** The column our synthetic held-out questions get in the benchmark table. */
export const HELD_OUT_BENCHMARK = 'P2R held-out';

export interface VideoR1EvaluationJson {
  results: Record<string, unknown>[];
  final_acc: { mean_acc: number; mean_mra: number }[];
}

/**
 * One record per answered prompt: the prompt's Video-R1 record, `benchmark`, `task` (the family), and
 * what eval_bench.py adds: output, prediction (extract_answer, else the whole output), reward (its
 * accuracy_reward; MRA for regression), correct (reward == 1); final_acc as it computes it.
 */
export function heldOutEvaluationJson(prompts: readonly RlPrompt[], outputs: readonly string[]): VideoR1EvaluationJson {
  if (prompts.length !== outputs.length) throw new Error(`heldOutEvaluationJson: ${prompts.length} prompts but ${outputs.length} outputs`);
  const acc: number[] = [];
  const mra: number[] = [];
  const results = prompts.map((p, i) => {
    const output = outputs[i];
    const prediction = extractAnswer(output) || pyStrip(output);
    const truth = extractAnswer(p.record.solution);
    let reward: number;
    if (p.record.problem_type === 'regression') {
      const a = normalizeNumber(prediction);
      const b = normalizeNumber(truth);
      reward = a === null || b === null ? 0 : meanRelativeAccuracy(a, b);
      mra.push(reward);
    } else {
      reward = accuracyReward(p.record.problem_type, prediction, truth);
      acc.push(reward);
    }
    return { ...p.record, benchmark: HELD_OUT_BENCHMARK, task: p.family ?? p.record.problem_type, output, prediction, reward, correct: reward === 1 };
  });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return { results, final_acc: [{ mean_acc: mean(acc), mean_mra: mean(mra) }] };
}

/**
 * The held-out answers scored in benchmark format (one task per family), through the same reader and
 * scorer as another model's files: what the worker attaches to each held-out evaluation for the Train
 * page's Evaluate panel.
 */
export function heldOutBenchmark(prompts: readonly RlPrompt[], outputs: readonly string[]): BenchmarkResult {
  const text = JSON.stringify(heldOutEvaluationJson(prompts, outputs));
  const { models, errors } = evaluateOutputFiles([{ name: 'held-out answers', text, model: 'this run' }]);
  if (errors.length || !models.length) throw new Error(`heldOutBenchmark: ${errors[0] ?? 'no answers'}`);
  return models[0].benchmarks[0];
}
