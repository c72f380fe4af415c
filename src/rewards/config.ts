// One typed config for PA-GRPO rewards and advantages (method.md §1.5–1.10, §6 item 4), with commented
// defaults, and the RL ablations of the paper's Table 2 as named presets that override only what differs.
// Tags: [C] confirmed by a source, [I] inferred / recommended default, [U] unknown in the paper (a switch).

export type FormatMode = 'per-process' | 'full';
export type AdvantageMode = 'separate' | 'sum-advantages' | 'sum-rewards' | 'grpo';
export type MissingObservation = 'reasoning' | 'perception';

export interface RewardConfig {
  /** ε in A = (R − mean) / (std + ε). [U] in the paper; 1e-4 as Video-R1 and TRL (verl: 1e-6). [I] */
  eps: number;
  /** Bessel-corrected std (N − 1), as torch.std in Video-R1, TRL and verl. [U] → true. [I] */
  unbiasedStd: boolean;
  /** Length bonus ω per process. [C: S1 §3.2.2] */
  lenBonus: number;
  /** Perception length target in tokens, inclusive bounds. [C: S1 §3.2.2; unit and inclusivity I] */
  perceptionLength: { min: number; max: number };
  /** Reasoning (think + answer) length target in tokens, inclusive bounds. [C: S1 §3.2.2] */
  reasoningLength: { min: number; max: number };
  /**
   * Accuracy must be > this for the length bonus. 0 reads the paper's "non-zero" literally. [I]
   * Video-R1 parity: 0.1 (its `acc > 0.1` mask). [C: S4]
   */
  accuracyThreshold: number;
  /**
   * Video-R1 pays the length bonus only when more than one rollout of the group is correct
   * (`len(selected_indices) > 1`). [C: S4] The VideoP2R text does not say so [U] → false; true for parity.
   * Applied to the reasoning length bonus only, as in the reference algorithm (method.md §1.13). [I]
   */
  lenRequiresMultipleCorrect: boolean;
  /**
   * 'per-process': R_form,P from the leading <observation>…</observation>, R_form,R from the remainder. [I]
   * 'full': one full-sequence regex, copied to both processes (the stricter alternative). [I]
   */
  formatMode: FormatMode;
  /**
   * How advantages reach tokens (method.md §1.10). 'separate' = PA-GRPO (Eq. 6). [C]
   * 'sum-advantages' = A_P + A_R on every token; 'sum-rewards' = normalise R_P + R_R once, on every token
   * (the two readings of "without separation", [U]). 'grpo' = process-agnostic: the normalised reasoning
   * reward on every token. [C: S1 §5.2 wording]
   */
  advantageMode: AdvantageMode;
  /** Switches of the Table 2 ablations: a dropped reward is zero in every term (accuracy, format, length). */
  usePerceptionReward: boolean;
  useReasoningReward: boolean;
  useLengthReward: boolean;
  /**
   * Which process gets every token when '</observation>' is missing (method.md §1.7 rule 3). The perception
   * format and accuracy are then 0 and the judge is not called. [I] → 'reasoning'.
   */
  missingObservation: MissingObservation;
}

export const DEFAULT_REWARD_CONFIG: Readonly<RewardConfig> = Object.freeze({
  eps: 1e-4,
  unbiasedStd: true,
  lenBonus: 0.2,
  perceptionLength: Object.freeze({ min: 128, max: 320 }),
  reasoningLength: Object.freeze({ min: 320, max: 512 }),
  accuracyThreshold: 0,
  lenRequiresMultipleCorrect: false,
  formatMode: 'per-process',
  advantageMode: 'separate',
  usePerceptionReward: true,
  useReasoningReward: true,
  useLengthReward: true,
  missingObservation: 'reasoning',
} satisfies RewardConfig);

/**
 * Table 2 rows that are RL switches (method.md §1.10). SFT-only, RL-only (starting checkpoint) and
 * process-agnostic SFT are training-data choices, not reward switches, so they have no preset here.
 */
export const ABLATIONS = {
  /** VideoP2R (full): PA-GRPO with every reward and separate advantages. */
  'pa-grpo': {},
  /**
   * Process-agnostic RL: "a single reasoning reward across all output tokens". The judge is not called
   * (the paper's GRPO run is faster than PA-GRPO, consistent with no judge). [I]
   */
  grpo: { advantageMode: 'grpo', usePerceptionReward: false },
  /**
   * Without R_R. [U] how tokens were weighted: here the reasoning tokens get A_R = 0 (a zero-variance
   * group) and the perception tokens A_P. For "A_P on every token" override advantageMode: 'sum-rewards'.
   */
  'without-rr': { useReasoningReward: false },
  /**
   * Without R_P. Table 2's row is identical to process-agnostic GRPO in every column, so it was evidently
   * run as the R_R advantage on all tokens [I]; for perception tokens with zero advantage instead,
   * override advantageMode: 'separate'.
   */
  'without-rp': { usePerceptionReward: false, advantageMode: 'grpo' },
  /** Without R_L: no length bonus in either process. */
  'without-rl': { useLengthReward: false },
  /** Without separation, reading (a): A_P + A_R applied to every token. [U] */
  'without-separation': { advantageMode: 'sum-advantages' },
  /** Without separation, reading (b): GRPO on the summed reward R_P + R_R. [U] */
  'without-separation-sum-rewards': { advantageMode: 'sum-rewards' },
} as const satisfies Record<string, Partial<RewardConfig>>;

export type AblationName = keyof typeof ABLATIONS;
export const ABLATION_NAMES = Object.keys(ABLATIONS) as AblationName[];

export function isAblationName(s: string): s is AblationName {
  return Object.prototype.hasOwnProperty.call(ABLATIONS, s);
}

/** Video-R1 parity for the length bonus (not a Table 2 row): `acc > 0.1` and "more than one correct". */
export const VIDEO_R1_LENGTH_PARITY: Partial<RewardConfig> = { accuracyThreshold: 0.1, lenRequiresMultipleCorrect: true };

/** Defaults, then the preset, then the caller's overrides. Throws on an unknown preset name. */
export function resolveConfig(mode: AblationName | string = 'pa-grpo', overrides: Partial<RewardConfig> = {}): RewardConfig {
  if (!isAblationName(mode)) {
    throw new Error(`unknown ablation mode '${mode}'; expected one of: ${ABLATION_NAMES.join(', ')}`);
  }
  const preset: Partial<RewardConfig> = ABLATIONS[mode];
  const config: RewardConfig = { ...DEFAULT_REWARD_CONFIG, ...preset, ...overrides };
  config.perceptionLength = { ...config.perceptionLength };
  config.reasoningLength = { ...config.reasoningLength };
  return config;
}
