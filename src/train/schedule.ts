// Learning-rate schedule: linear warmup, then cosine decay to minLrRatio · lr (nanoGPT's get_lr).
// Pure, so the GPU trainer and the CPU reference run use the same numbers.

import type { TrainConfig } from '../model/config';

/** Learning rate of update `step` (0-based) of a run of cfg.steps updates. */
export function learningRate(step: number, cfg: Pick<TrainConfig, 'lr' | 'warmupSteps' | 'minLrRatio' | 'steps'>): number {
  const minLr = cfg.lr * cfg.minLrRatio;
  if (step < cfg.warmupSteps) return (cfg.lr * (step + 1)) / cfg.warmupSteps;
  if (step >= cfg.steps) return minLr;
  const progress = (step - cfg.warmupSteps) / Math.max(1, cfg.steps - cfg.warmupSteps);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (cfg.lr - minLr);
}
