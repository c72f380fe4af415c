// Video-R1 evaluation output `eval_{dataset}_{file}_greedy_output.json` (method.md §5.3 item 2):
// `{"results": [{...record, output, prediction, reward, correct, process}], "final_acc": [...]}`, and the
// CoT generation output of the same shape (`answer`, `select`). One rollout per record, a singleton group.

import { textOf, type DraftRollout } from '../record';
import { isRecord } from './common';

const KNOWN = new Set(['problem', 'options', 'solution', 'output', 'reward']);

export function isVideoR1Results(doc: unknown): doc is { results: Record<string, unknown>[] } {
  return isRecord(doc) && Array.isArray(doc.results) && doc.results.length > 0 && isRecord(doc.results[0]) && 'output' in doc.results[0];
}

export function videoR1Drafts(results: readonly Record<string, unknown>[]): DraftRollout[] {
  return results.filter(isRecord).map((r, i): DraftRollout => {
    const options = Array.isArray(r.options) ? r.options.map((o) => textOf(o)).join('\n') : r.options ? textOf(r.options) : '';
    const prompt = options ? `${textOf(r.problem)}\n${options}` : textOf(r.problem);
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k)) extra[k] = v;
    const reward = typeof r.reward === 'number' ? r.reward : null;
    return {
      step: typeof r.step === 'number' ? r.step : 0,
      groupKey: `${textOf(r.problem_id ?? i)}\u0000${prompt}`,
      prompt,
      completion: textOf(r.output),
      groundTruth: r.solution === undefined ? null : textOf(r.solution),
      // Video-R1's reward is accuracy_reward on the <answer>: the reasoning process's accuracy.
      rewards: reward === null ? {} : { accuracy: reward },
      reasoning: reward === null ? null : { accuracy: reward },
      advantage: null,
      extra,
      line: i + 1,
      raw: r,
      split: 'val',
    };
  });
}
