// Whether an RL run is learning anything, from its log points: the Train page says so in words, and
// what to try, when the latest step had every group collapsed (no advantage anywhere, so the update
// only follows the KL term) or when both processes' mean rewards stayed flat for FLAT_STEPS steps.
// Pure: log points in, an alert (or null) out.

import type { LogPoint, RlPoint } from '../train/protocol';

/** K: steps in a row with flat rewards before the page says so. */
export const FLAT_STEPS = 5;
/** Rewards are flat when each process's mean total reward moves by at most this over those steps. */
export const FLAT_TOLERANCE = 0.01;

export interface RlSignalAlert {
  kind: 'collapsed' | 'flat';
  /** The latest step the alert is about (1-based, as the step counter and charts show it). */
  step: number;
  /** Steps in a row the condition has held, ending at `step`. */
  steps: number;
  /** What happened, in words. */
  message: string;
  /** What to try, one suggestion each. */
  tryNext: string[];
}

export interface RlSignalOptions {
  /** The run's sampling temperature and group size G, named in the suggestions when known. */
  temperature?: number;
  group?: number;
  flatSteps?: number;
  tolerance?: number;
}

/** Every group collapsed in both processes: each completion got its group's mean reward, so every advantage is 0. */
export const allCollapsed = (r: RlPoint): boolean => r.groups > 0 && r.collapsedBoth >= r.groups;

const f2 = (x: number) => x.toFixed(2);
const range = (xs: readonly number[]) => Math.max(...xs) - Math.min(...xs);

/** The three things that give a group different rewards, with the run's values where known. */
function suggestions(o: RlSignalOptions, solved: boolean): string[] {
  const t = o.temperature;
  const g = o.group;
  return [
    solved
      ? 'Nothing, or a harder task: the rollouts already answer right, so RL has no mistake left to correct on these prompts.'
      : 'More SFT: train the SFT run longer (until its held-out format is near 1 and its answers beat chance), then start RL from that checkpoint. RL only reinforces what sampling already finds sometimes.',
    `A higher temperature${t !== undefined ? ` (now ${t}; try ${Number((t + 0.3).toFixed(2))})` : ''}: more varied completions within a group.`,
    `A larger group G${g !== undefined ? ` (now ${g}; try ${g * 2})` : ''}: more chances that one completion of a group earns a different reward.`,
  ];
}

/**
 * The alert for the series' RL points, or null while the run has a learning signal. All groups
 * collapsed at the latest step comes first; otherwise flat rewards over the last `flatSteps` RL points.
 */
export function rlSignal(series: readonly LogPoint[], o: RlSignalOptions = {}): RlSignalAlert | null {
  const points = series.filter((p): p is LogPoint & { rl: RlPoint } => p.rl !== undefined);
  if (points.length === 0) return null;
  const last = points[points.length - 1];
  const step = last.step + 1;
  const solved = last.rl.perception.accuracy >= 0.99 && last.rl.reasoning.accuracy >= 0.99;
  const tryNext = suggestions(o, solved);

  if (allCollapsed(last.rl)) {
    let steps = 0;
    for (let i = points.length - 1; i >= 0 && allCollapsed(points[i].rl); i--) steps++;
    const why = solved
      ? 'every completion already earns full accuracy, so there is nothing left to prefer'
      : 'within each group every completion got the same perception reward and the same reasoning reward';
    return {
      kind: 'collapsed',
      step,
      steps,
      message:
        `At step ${step} ${last.rl.groups === 1 ? 'the one group' : `all ${last.rl.groups} groups`} collapsed${steps > 1 ? ` (${steps} steps in a row)` : ''}. ` +
        `${why[0].toUpperCase()}${why.slice(1)}, so every advantage is 0 and the update only follows the KL term.`,
      tryNext,
    };
  }

  const k = o.flatSteps ?? FLAT_STEPS;
  const tol = o.tolerance ?? FLAT_TOLERANCE;
  if (points.length < k) return null;
  const isFlat = (window: readonly (LogPoint & { rl: RlPoint })[]) =>
    range(window.map((p) => p.rl.perception.total)) <= tol && range(window.map((p) => p.rl.reasoning.total)) <= tol;
  if (!isFlat(points.slice(-k))) return null;
  let steps = k;
  while (steps < points.length && isFlat(points.slice(-(steps + 1)))) steps++;
  const first = points[points.length - steps].step + 1;
  return {
    kind: 'flat',
    step,
    steps,
    message:
      `Both processes' mean rewards stayed flat for ${steps} steps (steps ${first} to ${step}): perception reward ${f2(last.rl.perception.total)}, reasoning reward ${f2(last.rl.reasoning.total)}, ` +
      `each within ${tol} over the window. RL is not changing what the model earns.`,
    tryNext,
  };
}
