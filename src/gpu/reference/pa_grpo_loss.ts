// CPU reference (float64) for shaders/pa_grpo_loss.wgsl: the PA-GRPO (and plain GRPO) token-level
// clipped policy loss with a k3 KL penalty, its gradient w.r.t. the new log-probs, and diagnostics.
// method.md §1.6–1.8 (process-aware advantages, objective), §2.6 (Video-R1 loss), §3 (TRL/verl).
//
// Every aggregation is written as loss = Σ_b W_b · L_b, with L_b the per-sequence loss:
//   segmentWeighting 'token-share': L_b = mean of ℓ over the sequence's unmasked tokens
//                    'equal':       L_b = mean over its present segments k of (mean of ℓ over k's tokens)
//   aggregation 'seq-mean-token-mean'     W_b = 1 / B_v   (B_v = sequences with ≥ 1 unmasked token;
//                                                          fully masked rows are left out, as verl)
//               'token-mean'              W_b = n_b / N   (N = unmasked tokens in the batch)
//               'seq-mean-token-sum-norm' W_b = n_b / (B·T)   (Dr.GRPO: Σ ℓ / (B·T))
// With 'token-share' these are exactly Video-R1/TRL 'grpo', verl/TRL 'bnpo' token-mean and Dr.GRPO.

/** Values of the segment buffer. Anything other than 1 or 2 counts as padding. */
export const SEGMENT = { pad: 0, perception: 1, reasoning: 2 } as const;

export type LossAggregation = 'seq-mean-token-mean' | 'token-mean' | 'seq-mean-token-sum-norm';
export type SegmentWeighting = 'token-share' | 'equal';

export interface PaGrpoLossConfig {
  /** ε_low: the ratio is clipped below at 1 − clipLow. */
  clipLow: number;
  /** ε_high: the ratio is clipped above at 1 + clipHigh. */
  clipHigh: number;
  /** β, weight of the k3 KL penalty. */
  beta: number;
  /** c: the log-ratio ref − logp is clamped to [−c, c] before k3 (Video-R1: 10). */
  klClamp: number;
  aggregation: LossAggregation;
  segmentWeighting: SegmentWeighting;
}

export const PA_GRPO_LOSS_DEFAULTS: PaGrpoLossConfig = {
  clipLow: 0.2,
  clipHigh: 0.2,
  beta: 0.04,
  klClamp: 10,
  aggregation: 'seq-mean-token-mean',
  segmentWeighting: 'token-share',
};

export interface PaGrpoLossInputs {
  /** Rollouts and padded completion length; every per-token array is (B, T) row-major, index b*T + t. */
  B: number;
  T: number;
  logp: ArrayLike<number>;
  oldLogp: ArrayLike<number>;
  refLogp: ArrayLike<number>;
  /** 0 padding/masked, 1 perception, 2 reasoning. */
  segment: ArrayLike<number>;
  /** (B, 2): [A_perception, A_reasoning] per rollout. */
  advantages: ArrayLike<number>;
}

/**
 * Stats buffer (12 f32): stats[4*s + f], s = 0 perception, 1 reasoning, 2 all unmasked tokens;
 * f = 0 token count, 1 clip fraction (share of tokens whose clipped branch was strictly the min),
 * 2 mean ratio, 3 mean k3 KL. Plain token means over the batch; 0 for a segment with no tokens.
 */
export const STATS_LENGTH = 12;
export const STAT = { count: 0, clipFraction: 1, meanRatio: 2, meanKl: 3 } as const;
export function statIndex(segment: 'perception' | 'reasoning' | 'all', field: keyof typeof STAT): number {
  return 4 * { perception: 0, reasoning: 1, all: 2 }[segment] + STAT[field];
}

/** Loss buffer (4 f32): [loss, policy part Σ w·pg, KL part Σ w·k3 (before β), valid sequences B_v]. */
export const LOSS_LENGTH = 4;

export interface PaGrpoLossResult {
  loss: number;
  pgLoss: number;
  klLoss: number;
  validSequences: number;
  /** (B, T): ∂loss/∂logp; 0 on padding. */
  dlogp: Float64Array;
  /** (12): see STATS_LENGTH. */
  stats: Float64Array;
}

export interface TokenTerms {
  ratio: number;
  pg: number;
  k3: number;
  /** The clipped branch was strictly the smaller one (pg then has zero gradient). */
  clipped: boolean;
  /** ∂(pg + β·k3)/∂logp. */
  dloss: number;
}

/** One token's terms (method.md §1.13 tokenLoss), with the gradient torch autograd would give. */
export function tokenTerms(logp: number, oldLogp: number, refLogp: number, advantage: number, c: PaGrpoLossConfig): TokenTerms {
  const ratio = Math.exp(logp - oldLogp);
  const clippedRatio = Math.min(Math.max(ratio, 1 - c.clipLow), 1 + c.clipHigh);
  const unclippedTerm = ratio * advantage;
  const clippedTerm = clippedRatio * advantage;
  const clipped = clippedTerm < unclippedTerm;
  const pg = -Math.min(unclippedTerm, clippedTerm);
  const d = refLogp - logp;
  const x = Math.min(Math.max(d, -c.klClamp), c.klClamp);
  const k3 = Math.exp(x) - x - 1;
  const dpg = clipped ? 0 : -unclippedTerm; // ∂(−ρA)/∂logp = −ρA
  const dk3 = d >= -c.klClamp && d <= c.klClamp ? 1 - Math.exp(x) : 0; // ∂x/∂logp = −1 inside the clamp
  return { ratio, pg, k3, clipped, dloss: dpg + c.beta * dk3 };
}

/** Per-token weights w (B, T) such that loss = Σ w·ℓ; see the header. Also returns B_v. */
export function tokenWeights(B: number, T: number, segment: ArrayLike<number>, c: PaGrpoLossConfig): { w: Float64Array; validSequences: number } {
  const counts = new Float64Array(2 * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = segment[b * T + t];
      if (s === 1 || s === 2) counts[2 * b + s - 1] += 1;
    }
  }
  let N = 0;
  let validSequences = 0;
  for (let b = 0; b < B; b++) {
    const n = counts[2 * b] + counts[2 * b + 1];
    N += n;
    if (n > 0) validSequences++;
  }
  const w = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = counts[2 * b] + counts[2 * b + 1];
    if (n === 0) continue;
    const W = c.aggregation === 'seq-mean-token-mean' ? 1 / validSequences : c.aggregation === 'token-mean' ? n / N : n / (B * T);
    const present = (counts[2 * b] > 0 ? 1 : 0) + (counts[2 * b + 1] > 0 ? 1 : 0);
    for (let t = 0; t < T; t++) {
      const s = segment[b * T + t];
      if (s !== 1 && s !== 2) continue;
      w[b * T + t] = c.segmentWeighting === 'token-share' ? W / n : W / (present * counts[2 * b + s - 1]);
    }
  }
  return { w, validSequences };
}

export function paGrpoLoss(x: PaGrpoLossInputs, config: Partial<PaGrpoLossConfig> = {}): PaGrpoLossResult {
  const c = { ...PA_GRPO_LOSS_DEFAULTS, ...config };
  const { B, T } = x;
  const { w, validSequences } = tokenWeights(B, T, x.segment, c);
  const dlogp = new Float64Array(B * T);
  const sums = new Float64Array(STATS_LENGTH); // count, clipped tokens, Σ ratio, Σ k3 per segment
  let pgLoss = 0;
  let klLoss = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const s = x.segment[i];
      if (s !== 1 && s !== 2) continue;
      const k = tokenTerms(x.logp[i], x.oldLogp[i], x.refLogp[i], x.advantages[2 * b + s - 1], c);
      pgLoss += w[i] * k.pg;
      klLoss += w[i] * k.k3;
      dlogp[i] = w[i] * k.dloss;
      for (const seg of [s - 1, 2]) {
        sums[4 * seg + STAT.count] += 1;
        sums[4 * seg + STAT.clipFraction] += k.clipped ? 1 : 0;
        sums[4 * seg + STAT.meanRatio] += k.ratio;
        sums[4 * seg + STAT.meanKl] += k.k3;
      }
    }
  }
  const stats = new Float64Array(STATS_LENGTH);
  for (let seg = 0; seg < 3; seg++) {
    const n = sums[4 * seg];
    stats[4 * seg] = n;
    for (let f = 1; f < 4; f++) stats[4 * seg + f] = n > 0 ? sums[4 * seg + f] / n : 0;
  }
  return { loss: pgLoss + c.beta * klLoss, pgLoss, klLoss, validSequences, dlogp, stats };
}
