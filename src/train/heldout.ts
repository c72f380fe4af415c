// Held-out evaluation of a model: greedy decoding of each question, scored by the rewards module under
// the full PA-GRPO reward config with the rule judge (scene facts), aggregated overall, per problem
// type and per task family. What `npm run eval`, `npm run experiment` and the Train page's held-out
// curve report, so their figures are the same figures. Held-out means videos from a generator seed
// that training never used (heldOutPrompts). The evaluation model's batch size is the number of
// questions decoded together (EVAL_ROWS is a good default on a CPU).

import type { Decoder } from '../model/generate';
import { RuleJudge } from '../rewards/judge';
import type { PerceptionJudge } from '../rewards/types';
import { resolveConfig } from '../rewards/config';
import { evaluateGroup } from '../rewards/score';
import { encode, modelTokenizer } from '../model/tokenizer';
import { syntheticRlPrompts, type RlPrompt, type SyntheticSpec } from './rl_data';

/** The metrics of a set of questions (keys as `npm run eval -- --json` prints them). */
export interface HeldOutMetrics {
  questions: number;
  /** Fraction whose perception segment is well formed (the template's <observation>…</observation>). */
  format_perception: number;
  /** Fraction whose reasoning segments are well formed (<think>…</think><answer>…</answer>). */
  format_reasoning: number;
  /** Mean Video-R1 accuracy of <answer> against the ground truth (partial credit where Video-R1 gives it). */
  answer_accuracy: number;
  /** Fraction of observations the rule judge finds sufficient (every scene fact stated). */
  perception_judge_accuracy: number;
  /** Mean completion length, tokens. */
  mean_tokens: number;
}

export interface HeldOutReport extends HeldOutMetrics {
  by_problem_type: Record<string, HeldOutMetrics>;
  by_family: Record<string, HeldOutMetrics>;
}

export interface HeldOutItem {
  family: string;
  problemType: string;
  formatP: number;
  formatR: number;
  answer: number;
  judge: number;
  tokens: number;
  text: string;
}

/** Questions decoded together by an evaluation model (its batch size). */
export const EVAL_ROWS = 16;

/** Generator seed of the held-out videos by default: one that training (seed 1, the built-in dataset's) never uses. */
export const HELD_OUT_SEED = 9001;

/** `questions` held-out prompts (whole videos, so a multiple of the style's questions per video, cut to `questions`). */
export function heldOutPrompts(questions: number, spec: Partial<SyntheticSpec>, seed = HELD_OUT_SEED): RlPrompt[] {
  const perVideo = spec.style === 'tiny' ? 3 : 5;
  return syntheticRlPrompts(Math.ceil(questions / perVideo), seed, spec).slice(0, questions);
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function aggregate(items: readonly HeldOutItem[]): HeldOutMetrics {
  return {
    questions: items.length,
    format_perception: mean(items.map((i) => i.formatP)),
    format_reasoning: mean(items.map((i) => i.formatR)),
    answer_accuracy: mean(items.map((i) => i.answer)),
    perception_judge_accuracy: mean(items.map((i) => i.judge)),
    mean_tokens: mean(items.map((i) => i.tokens)),
  };
}

function groupBy(items: readonly HeldOutItem[], key: (i: HeldOutItem) => string): Record<string, HeldOutMetrics> {
  const groups = new Map<string, HeldOutItem[]>();
  for (const i of items) groups.set(key(i), [...(groups.get(key(i)) ?? []), i]);
  return Object.fromEntries([...groups].map(([k, v]) => [k, aggregate(v)]));
}

export function report(items: readonly HeldOutItem[]): HeldOutReport {
  return { ...aggregate(items), by_problem_type: groupBy(items, (i) => i.problemType), by_family: groupBy(items, (i) => i.family) };
}

/**
 * Decodes every prompt greedily and scores it. The decoder's B rows take B questions at once: prompts
 * are grouped by token length (rows of one decode share positions; the tiny families' prompts have one
 * length per family), each chunk padded with its last prompt. Greedy rows do not interact, so the
 * result is the same as one question at a time. `onProgress(done, total)` after each chunk.
 */
export async function evaluateHeldOut(
  decoder: Decoder,
  prompts: readonly RlPrompt[],
  o: { maxNewTokens: number; judge?: PerceptionJudge; onProgress?: (done: number, total: number) => void },
): Promise<{ report: HeldOutReport; items: HeldOutItem[] }> {
  const vocabulary = decoder.model.config.vocabulary;
  const ctx = { config: resolveConfig('pa-grpo'), tokenizer: modelTokenizer(vocabulary), judge: o.judge ?? new RuleJudge() };
  const G = decoder.model.B;
  const byLength = new Map<number, number[]>();
  prompts.forEach((p, i) => {
    const n = encode(p.prompt, vocabulary).ids.length;
    byLength.set(n, [...(byLength.get(n) ?? []), i]);
  });
  const items: HeldOutItem[] = new Array(prompts.length);
  let done = 0;
  for (const indices of byLength.values()) {
    for (let c = 0; c < indices.length; c += G) {
      const chunk = indices.slice(c, c + G);
      const rows = Array.from({ length: G }, (_, g) => prompts[chunk[Math.min(g, chunk.length - 1)]]);
      const out = await decoder.generateRows(rows, { temperature: 0, topP: 1, maxNewTokens: o.maxNewTokens, seed: chunk[0] });
      for (let g = 0; g < chunk.length; g++) {
        const p = prompts[chunk[g]];
        const r = out.rollouts[g];
        const s = (await evaluateGroup([{ ...p.record, output: r.text }], ctx)).scores[0];
        items[chunk[g]] = {
          family: p.family ?? p.record.problem_type,
          problemType: p.record.problem_type,
          formatP: s.perception.format,
          formatR: s.reasoning.format,
          answer: s.reasoning.accuracy,
          judge: s.perception.accuracy,
          tokens: r.ids.length,
          text: r.text,
        };
      }
      done += chunk.length;
      o.onProgress?.(done, prompts.length);
    }
  }
  return { report: report(items), items };
}
