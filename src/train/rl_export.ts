// RL rollouts as the inspector's canonical Rollout records (src/rollouts/record.ts): what the browser
// writes to the rollout store (putRollouts) and what `npm run train -- --rollouts-out FILE.jsonl` writes
// as JSON Lines in "our own export" format (src/rollouts/importers/native.ts re-imports it as is).

import type { Rollout } from '../rollouts/record';
import { rolloutId } from '../rollouts/record';
import { describe, isSpecial } from '../model/tokenizer';
import type { RlRollout } from './rl';
import { displayStep } from './protocol';

const round = (x: number) => Math.round(x * 1e5) / 1e5;

/** Display text of each token: its character for the first byte of a character, '' for the others. */
export function tokenStrings(r: Pick<RlRollout, 'ids' | 'offsets' | 'text'>): string[] {
  return r.ids.map((id, i) => {
    if (isSpecial(id)) return describe([id]);
    const [s, e] = r.offsets[i];
    const prev = i > 0 ? r.offsets[i - 1] : null;
    return prev && prev[0] === s && prev[1] === e && !isSpecial(r.ids[i - 1]) ? '' : r.text.slice(s, e);
  });
}

export function toInspectorRollout(r: RlRollout, runId: string, file = 'train'): Rollout {
  const groupId = r.problemId;
  // Numbered as the Train page numbers the same step (the trainer's index is 0-based).
  const step = displayStep(r.step);
  const rewards: Record<string, number> = {};
  for (const proc of ['perception', 'reasoning'] as const) for (const part of ['accuracy', 'format', 'length', 'total'] as const) rewards[`${proc}.${part}`] = r[proc][part];
  return {
    id: rolloutId(runId, step, groupId, r.sampleIdx),
    runId,
    split: 'train',
    step,
    groupId,
    sampleIdx: r.sampleIdx,
    prompt: r.prompt,
    completion: r.text,
    groundTruth: r.record.solution,
    rewards,
    perception: { ...r.perception, ...(r.judge && { judge: r.judge }) },
    reasoning: { ...r.reasoning },
    advantage: null,
    advantages: { perception: r.advantages.perception, reasoning: r.advantages.reasoning, grpo: r.advantages.grpo, source: 'trainer' },
    tokens: {
      tokens: tokenStrings(r),
      advantage: Array.from(r.tokenAdvantage, round),
      logprob: Array.from(r.logp, round),
      refLogprob: Array.from(r.refLogp, round),
    },
    extra: { problem_type: r.record.problem_type, finished: r.finished, perceptionEnd: r.perceptionEnd, sampleLogprob: Array.from(r.sampleLogp, round) },
    source: { format: 'native', file },
    raw: null,
  };
}
