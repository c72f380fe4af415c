// Advantages for imported groups (method.md §1.6, Eq. 6): when the dump has both process rewards but no
// process advantages, normalise each process within the group with the rewards module's
// processAdvantages; the single GRPO advantage shown next to them is the trainer's scalar reward
// (its `score`, else R_P + R_R) normalised in the group, as plain GRPO would have done.

import { groupNormalize, processAdvantages } from '../rewards/advantages';
import { DEFAULT_REWARD_CONFIG } from '../rewards/config';
import { scalarReward, type Rollout } from './record';

const NORM = { eps: DEFAULT_REWARD_CONFIG.eps, unbiased: DEFAULT_REWARD_CONFIG.unbiasedStd };

/** Fills `advantages` of one group's rollouts in place (all of one step and one group id). */
export function rescoreAdvantages(group: Rollout[]): void {
  if (group.length === 0) return;
  const scalars = group.map((r) => scalarReward(r));
  // Unscored (NaN) rewards count as 0, as TRL's nansum over reward functions does.
  const grpo = scalars.every((s) => s === null) ? null : groupNormalize(scalars.map((s) => (s !== null && Number.isFinite(s) ? s : 0)), NORM);
  const totals = (k: 'perception' | 'reasoning') => group.map((r) => r[k]?.total);
  const pt = totals('perception');
  const rt = totals('reasoning');
  const haveProcesses = pt.every((x) => x !== undefined) && rt.every((x) => x !== undefined);
  const pa = haveProcesses
    ? processAdvantages(
        pt.map((x) => (Number.isFinite(x) ? x! : 0)),
        rt.map((x) => (Number.isFinite(x) ? x! : 0)),
        { eps: NORM.eps, unbiasedStd: NORM.unbiased, advantageMode: 'separate' },
      )
    : null;
  group.forEach((r, i) => {
    const g = grpo ? grpo[i] : pa ? pa.grpo[i] : NaN;
    if (r.advantages?.source === 'trainer') r.advantages = { ...r.advantages, grpo: g };
    else if (pa) r.advantages = { perception: pa.perception[i], reasoning: pa.reasoning[i], grpo: g, source: 'rescored' };
    else if (grpo) r.advantages = { perception: NaN, reasoning: NaN, grpo: g, source: 'rescored' };
    else r.advantages = null;
  });
}
