// Re-scoring an imported group with PA-GRPO through the rewards module (evaluateGroup): format and
// length per process from the template, reasoning accuracy with Video-R1's accuracy reward against the
// ground truth, perception accuracy from the verdict the source logged (FieldJudge) or, failing that,
// the rule judge over scene facts. Token counts are whitespace tokens of the decoded text (an estimate:
// the trainer's tokenizer is not available here). The trainer's values are kept in `extra`.

import { resolveConfig, type AblationName } from '../rewards/config';
import { FieldJudge, RuleJudge } from '../rewards/judge';
import { evaluateGroup } from '../rewards/score';
import { WhitespaceTokenizer } from '../rewards/tokenizers';
import type { PerceptionJudge, RolloutRecord } from '../rewards/types';
import type { Rollout } from './record';

const VERDICT = '__inspector_perception_verdict';

function problemType(r: Rollout): string {
  const t = r.extra.problem_type;
  if (typeof t === 'string') return t;
  const gt = (r.groundTruth ?? '').replace(/<\/?answer>/g, '').trim();
  if (/^[A-Z]$/.test(gt)) return 'multiple choice';
  if (gt && Number.isFinite(Number(gt))) return 'numerical';
  return 'free-form';
}

export function toRewardRecord(r: Rollout): RolloutRecord {
  const gt = r.groundTruth ?? '';
  const record: RolloutRecord = {
    // Every column of the source, so a field judge (field:NAME) reads a verdict the dump logged.
    ...r.rewards,
    ...r.extra,
    problem_id: r.groupId,
    problem: typeof r.extra.problem === 'string' ? r.extra.problem : r.prompt,
    problem_type: problemType(r),
    solution: gt.includes('<answer>') ? gt : `<answer>${gt}</answer>`,
    output: r.completion,
    step: r.step,
  };
  if (r.extra.options !== undefined) record.options = r.extra.options as string[];
  if (Array.isArray(r.extra.facts)) record.facts = r.extra.facts as RolloutRecord['facts'];
  const verdict = r.perception?.judge?.verdict ?? r.perception?.accuracy;
  if (verdict !== undefined && Number.isFinite(verdict)) record[VERDICT] = verdict >= 0.5 ? 1 : 0;
  return record;
}

/**
 * Re-scores one group (all of one step and one group id). `judge`: the perception judge (rules, field:NAME
 * or http, from createJudge); by default the verdict the source logged when every rollout has one, else
 * the rule judge.
 */
export async function rescoreGroupWithRewards(group: readonly Rollout[], mode: AblationName = 'pa-grpo', judge?: PerceptionJudge): Promise<Rollout[]> {
  const records = group.map(toRewardRecord);
  judge ??= records.every((r) => r[VERDICT] !== undefined) ? new FieldJudge(VERDICT) : new RuleJudge();
  const res = await evaluateGroup(records, { config: resolveConfig(mode), tokenizer: new WhitespaceTokenizer(), judge });
  return group.map((r, i): Rollout => {
    const s = res.scores[i];
    return {
      ...r,
      perception: { ...s.perception, ...(s.verdict ? { judge: { verdict: s.verdict.verdict, explanation: s.verdict.explanation ?? s.verdict.error } } : {}) },
      reasoning: { ...s.reasoning },
      advantages: { perception: res.advantages.perception[i], reasoning: res.advantages.reasoning[i], grpo: r.advantages?.grpo ?? res.advantages.grpo[i], source: 'rescored' },
      extra: { ...r.extra, 'trainer.perception': r.perception, 'trainer.reasoning': r.reasoning, 'trainer.advantages': r.advantages },
    };
  });
}

export interface RescoreRunOptions {
  /** The perception judge; see rescoreGroupWithRewards. */
  judge?: PerceptionJudge;
  mode?: AblationName;
  /** Groups in flight at once (an HTTP judge is limited by its own concurrency as well). */
  concurrency?: number;
  onProgress?: (groupsDone: number, groups: number) => void;
  signal?: AbortSignal;
}

/**
 * Re-scores every group of a run (rollouts in any order) with the rewards module: per-process rewards
 * and advantages for dumps that lack them (verl v1). Returns the rollouts re-scored, in the order given.
 * The dashboard's "recompute" and `npm run rollouts -- summary --rescore` both call this.
 */
export async function rescoreRun(rollouts: readonly Rollout[], opts: RescoreRunOptions = {}): Promise<Rollout[]> {
  const groups = new Map<string, number[]>();
  rollouts.forEach((r, i) => {
    const key = `${r.step}\u0000${r.groupId}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  });
  const out: Rollout[] = [...rollouts];
  const todo = [...groups.values()];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < todo.length) {
      opts.signal?.throwIfAborted();
      const idx = todo[next++].sort((a, b) => rollouts[a].sampleIdx - rollouts[b].sampleIdx);
      const scored = await rescoreGroupWithRewards(idx.map((i) => rollouts[i]), opts.mode, opts.judge);
      idx.forEach((i, k) => (out[i] = scored[k]));
      opts.onProgress?.(++done, todo.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, todo.length)) }, worker));
  return out;
}
