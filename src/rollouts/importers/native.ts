// Our own export (and what a run trained in the app writes): JSON Lines of canonical Rollout records
// (src/rollouts/record.ts). Re-importing keeps breakdowns, advantages and token lanes as they were.

import { rawRecord, type DraftRollout, type Rollout } from '../record';
import { isRecord } from './common';

export function looksNative(row: unknown): boolean {
  return isRecord(row) && 'completion' in row && 'groupId' in row && 'sampleIdx' in row && 'rewards' in row;
}

export function nativeDrafts(rows: readonly { value: unknown; line: number }[]): DraftRollout[] {
  const drafts: DraftRollout[] = [];
  for (const { value, line } of rows) {
    if (!looksNative(value)) continue;
    const r = value as unknown as Rollout;
    drafts.push({
      step: r.step,
      groupKey: r.groupId,
      sampleIdx: r.sampleIdx,
      prompt: r.prompt,
      completion: r.completion,
      groundTruth: r.groundTruth ?? null,
      rewards: r.rewards ?? {},
      advantage: r.advantage ?? null,
      ...(r.advantages && Number.isFinite(r.advantages.perception) ? { processAdvantages: { perception: r.advantages.perception, reasoning: r.advantages.reasoning } } : {}),
      tokens: r.tokens ?? null,
      extra: r.extra ?? {},
      line,
      raw: rawRecord({ ...r, raw: r.raw ?? null, groundTruth: r.groundTruth ?? null }),
      split: r.split,
      perception: r.perception ?? null,
      reasoning: r.reasoning ?? null,
    });
  }
  return drafts;
}
