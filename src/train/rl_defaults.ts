// The RL settings a run uses when nobody says otherwise: the CLI (`npm run train -- --mode pa-grpo`),
// the experiment (`npm run experiment`) and the Train page's RL form read them here, so the README,
// the page and the commands agree. For `tiny` they are the settings of the README's experiment
// (section "PA-GRPO vs GRPO on the tiny task families"), where RL from a partial SFT checkpoint kept the
// template and raised the training rewards.

import type { PresetName } from '../model/config';

export interface RlDefaults {
  /** Steps of an RL run. */
  steps: number;
  /** G: completions per prompt. */
  group: number;
  /** P: prompts per step. */
  promptsPerStep: number;
  /** KL coefficient β to the frozen SFT reference. */
  beta: number;
  /** Learning rate (constant after a one-step warmup). */
  lr: number;
  /** Sampling temperature and nucleus mass of the rollouts. */
  temperature: number;
  topP: number;
}

export const RL_DEFAULTS: Record<PresetName, RlDefaults> = {
  tiny: { steps: 12, group: 8, promptsPerStep: 2, beta: 0.1, lr: 5e-4, temperature: 1, topP: 1 },
  test: { steps: 8, group: 4, promptsPerStep: 2, beta: 0.3, lr: 1e-3, temperature: 1, topP: 0.8 },
  demo: { steps: 200, group: 8, promptsPerStep: 4, beta: 0.04, lr: 6e-5, temperature: 1, topP: 0.95 },
};
