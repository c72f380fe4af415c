// RL on the GPU: PA-GRPO (method.md §1.5–1.8), plain GRPO and every ablation of src/rewards/config.ts.
// Per step:
//   1. P prompts from a seeded order; the Decoder (KV cache) samples G completions each, at the run's
//      temperature / top-p, on a G-row copy of the policy (its parameters are copied from the policy).
//   2. Rewards and advantages per group from the rewards module (evaluateGroup with the rule judge and
//      the byte tokenizer, so the reward's token counts and §1.7's offsets are the decoder's own).
//   3. One (P·G, T) batch of [frames, BOS, prompt, completion]; per-token segment ids (1 perception =
//      start offset < end of '</observation>', 2 reasoning, 0 padding) and per-rollout [A_P, A_R].
//   4. Reference log-probs from a frozen copy of the starting (SFT) weights; old log-probs = the policy's
//      own teacher-forced log-probs before the first update (Video-R1: a single on-policy update, so
//      ρ ≡ 1; with updatesPerBatch > 1 the later updates see ρ ≠ 1 and the ε clip).
//   5. Per update: forward → PaGrpoLoss → dL/dlogp → cross-entropy backward → model backward → global
//      clip → AdamW (src/train/rl_model.ts). A non-finite loss or gradient skips the update and is logged.
// Old log-probs are teacher-forced at temperature 1 rather than the sampler's (tempered) log-probs, as
// TRL / Video-R1 compute them; the sampler's are kept on every rollout for the inspector.

import { makeConfig, type Config } from '../model/config';
import { Decoder, type Rollout as DecodedRollout } from '../model/generate';
import { GpuModel, createModelKernels, type ModelKernels } from '../model/model';
import { initParams, paramLayout, type ParamLayout } from '../model/params';
import { modelTokenizer } from '../model/tokenizer';
import { PA_GRPO_LOSS_DEFAULTS, PaGrpoLoss, type PaGrpoLossConfig } from '../gpu/kernels/pa_grpo_loss';
import { resolveConfig, type RewardConfig } from '../rewards/config';
import { RuleJudge } from '../rewards/judge';
import type { Dispatch } from '../gpu/dispatch';
import { evaluateGroup, prepareJudge, type RolloutScore } from '../rewards/score';
import { parseCompletion } from '../rewards/template';
import type { PerceptionJudge, ProcessReward, RolloutRecord } from '../rewards/types';
import { flatFromTensors, tensorsFromFlat, type Checkpoint } from './checkpoint';
import { BatchOrder } from './data';
import { gatherRows, rlBatch, scatterRows, tokenSegments, type PromptRecord, type RlPrompt } from './rl_data';
import { PolicyLoss, type PolicyLossResult } from './rl_model';
import type { JudgeFactory } from './self_answer';
import { learningRate } from './schedule';

export const RL_MODES = ['pa-grpo', 'grpo', 'without-rr', 'without-rp', 'without-rl', 'without-separation', 'without-separation-sum-rewards'] as const;

export interface RlSampling {
  /** Rollout temperature (Video-R1: 1.0). */
  temperature: number;
  /** Nucleus mass (Video-R1: 0.95). */
  topP: number;
  /** Completion tokens at most (EOS included); also capped by the context. */
  maxNewTokens: number;
}

export const RL_SAMPLING_DEFAULTS: RlSampling = { temperature: 1, topP: 0.95, maxNewTokens: 256 };

export interface RlOptions {
  prompts: RlPrompt[];
  /** An ablation name of src/rewards/config.ts: 'pa-grpo', 'grpo', 'without-rr', … */
  mode: string;
  /** Overrides of the resolved reward config (e.g. shorter length targets for a small context). */
  rewardOverrides?: Partial<RewardConfig>;
  /** G: completions per prompt. */
  group: number;
  /** P: prompts per step (the update batch is P·G sequences). */
  promptsPerStep: number;
  sampling?: Partial<RlSampling>;
  /** β, ε (clipLow/clipHigh), aggregation, segment weighting of the loss kernel. */
  loss?: Partial<PaGrpoLossConfig>;
  /** Updates per generated batch (default 1: on-policy, ρ ≡ 1). */
  updatesPerBatch?: number;
  /** Starting parameters when there is no checkpoint (RL-only ablation); default initParams(seed). */
  init?: Float32Array;
  /**
   * Checkpoint to start from. An SFT checkpoint (metadata.mode 'sft' or none): its parameters, fresh
   * AdamW, step 0. An RL checkpoint of this trainer: parameters, AdamW moments and step (pass the run's
   * reference weights as `reference`, else the checkpoint's own parameters become the reference).
   */
  resume?: Checkpoint;
  /** Frozen reference weights; default: the starting parameters (the SFT weights). */
  reference?: Float32Array;
  /**
   * The perception judge (default: the rule judge), or a factory for one that answers with the policy
   * itself, called once with the trainer's decoder (src/train/self_answer.ts: the self-answer judge).
   */
  judge?: PerceptionJudge | JudgeFactory;
  kernels?: ModelKernels;
  lossKernel?: PaGrpoLoss;
  /**
   * How a step's P groups are sampled: 'together' (default) decodes all P·G rows in one pass over
   * the policy's own buffers (Decoder.generateGroups: same tokens, about 1/P of the decode steps);
   * 'per-prompt' decodes one group after another on the G-row sampler, as before issue 15 (kept for
   * the benchmark's before/after).
   */
  decode?: 'together' | 'per-prompt';
  onLog?: (entry: RlLogEntry) => void;
  onWarning?: (message: string) => void;
  /** Every rollout of a step, after its update (for the inspector's rollout store). */
  onRollouts?: (rollouts: RlRollout[], step: number) => void | Promise<void>;
}

/** One sampled completion with everything the inspector shows. */
export interface RlRollout {
  step: number;
  /** Index of the prompt in options.prompts, and its position in the step. */
  promptIndex: number;
  groupIndex: number;
  sampleIdx: number;
  problemId: string;
  prompt: string;
  record: PromptRecord;
  text: string;
  ids: number[];
  /** [start, end) of each token in `text` (UTF-16 units). */
  offsets: [number, number][];
  /** EOS was sampled (else cut at maxNewTokens / the context). */
  finished: boolean;
  perceptionEnd: number | null;
  /** Per token: 1 perception, 2 reasoning. */
  segment: Uint8Array;
  perception: ProcessReward;
  reasoning: ProcessReward;
  /** The perception judge's name (rules, checklist, self-answer, …), verdict, graded score and words. */
  judge?: { name?: string; verdict: number; score?: number; explanation?: string };
  advantages: { perception: number; reasoning: number; grpo: number };
  /** Per token: the sampler's log-prob (at the sampling temperature), the policy's teacher-forced log-prob
   *  before the update (π_old), the reference's, and the advantage the token carried. */
  sampleLogp: Float32Array;
  logp: Float32Array;
  refLogp: Float32Array;
  tokenAdvantage: Float32Array;
}

export interface RewardMeans {
  accuracy: number;
  format: number;
  length: number;
  total: number;
}

export interface RlLogEntry {
  step: number;
  mode: string;
  lr: number;
  /** PA-GRPO loss of the first update (before it), and its parts. */
  loss: number;
  pgLoss: number;
  /** Mean k3 KL to the reference over completion tokens. */
  kl: number;
  /** Mean predictive entropy over completion tokens, nats. */
  entropy: number;
  /** Clip fraction and mean ratio of the last update (0 and 1 with one on-policy update). */
  clipFraction: number;
  meanRatio: number;
  gradNorm: number;
  clipScale: number;
  /** Some update of the step was skipped (non-finite loss or gradient). */
  skipped: boolean;
  rewards: { perception: RewardMeans; reasoning: RewardMeans };
  /** Mean tokens per rollout in each process. */
  segmentLengths: { perception: number; reasoning: number };
  /** Groups whose rewards are all equal, per process and both. */
  collapsed: { perception: number; reasoning: number; both: number; groups: number };
  /** Mean |A| over completion tokens. */
  meanAbsAdvantage: number;
  completionTokens: number;
  /** Rollouts cut before EOS. */
  unfinished: number;
  ms: { total: number; generate: number; score: number; update: number };
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const rewardMeans = (rs: readonly ProcessReward[]): RewardMeans => ({
  accuracy: mean(rs.map((r) => r.accuracy)),
  format: mean(rs.map((r) => r.format)),
  length: mean(rs.map((r) => r.length)),
  total: mean(rs.map((r) => r.total)),
});

export class RlTrainer {
  readonly log: RlLogEntry[] = [];
  readonly rewardConfig: RewardConfig;
  readonly lossConfig: PaGrpoLossConfig;
  readonly sampling: RlSampling;
  private stepIndex = 0;
  /** Decodes all P·G rows of a step together over the policy (created on first use). */
  private policyDecoder?: Decoder;

  private constructor(
    readonly config: Config,
    readonly layout: ParamLayout,
    /** P·G rows: the model trained. */
    readonly policy: GpuModel,
    /** G rows, same parameters copied in before each generation. */
    readonly sampler: GpuModel,
    /** P·G rows, frozen. */
    readonly reference: GpuModel,
    private readonly decoder: Decoder,
    private readonly policyLoss: PolicyLoss,
    private readonly order: BatchOrder,
    /** The perception judge the rewards ask (its name is on every rollout). */
    readonly judge: PerceptionJudge,
    readonly options: RlOptions,
  ) {
    this.rewardConfig = resolveConfig(options.mode, options.rewardOverrides);
    this.lossConfig = { ...PA_GRPO_LOSS_DEFAULTS, ...options.loss };
    this.sampling = { ...RL_SAMPLING_DEFAULTS, ...options.sampling };
  }

  static async create(device: GPUDevice, config: Config = makeConfig('tiny'), options: RlOptions): Promise<RlTrainer> {
    resolveConfig(options.mode, options.rewardOverrides); // throws on an unknown mode before any GPU work
    if (!(options.group >= 2)) throw new Error(`RlTrainer: group size G must be >= 2 (got ${options.group})`);
    if (!(options.promptsPerStep >= 1)) throw new Error(`RlTrainer: promptsPerStep must be >= 1 (got ${options.promptsPerStep})`);
    if (options.prompts.length === 0) throw new Error('RlTrainer: no prompts');
    const layout = paramLayout(config.model);
    const r = options.resume;
    const rlResume = r !== undefined && r.metadata.mode !== undefined && r.metadata.mode !== 'sft';
    const init = r ? flatFromTensors(layout, r.tensors) : (options.init ?? initParams(layout, config.train.seed));
    const optimizerState =
      rlResume && r.optimizer ? { m: flatFromTensors(layout, r.optimizer.m), v: flatFromTensors(layout, r.optimizer.v), t: r.optimizer.t ?? r.step } : undefined;
    const kernels = options.kernels ?? (await createModelKernels(device, [config.model.width / config.model.heads]));
    const B = options.group * options.promptsPerStep;
    const train = config.train;
    const policy = await GpuModel.create(device, config.model, layout, { batchSize: B, init, train, kernels, optimizerState, label: 'RL.policy' });
    const sampler = await GpuModel.create(device, config.model, layout, { batchSize: options.group, init, train, kernels, label: 'RL.sampler' });
    const reference = await GpuModel.create(device, config.model, layout, { batchSize: B, init: options.reference ?? init, train, kernels, label: 'RL.reference' });
    const policyLoss = await PolicyLoss.create(policy, { ...PA_GRPO_LOSS_DEFAULTS, ...options.loss }, options.lossKernel);
    const order = new BatchOrder(options.prompts.length, options.promptsPerStep, train.seed ^ 0x71);
    const decoder = Decoder.create(sampler);
    const sampling = { ...RL_SAMPLING_DEFAULTS, ...options.sampling };
    const judge = typeof options.judge === 'function' ? options.judge({ decoder, prompts: options.prompts, maxNewTokens: sampling.maxNewTokens }) : (options.judge ?? new RuleJudge());
    const trainer = new RlTrainer(config, layout, policy, sampler, reference, decoder, policyLoss, order, judge, options);
    if (rlResume) {
      for (let s = 0; s < r.step; s++) order.next();
      trainer.stepIndex = r.step;
    }
    return trainer;
  }

  get step(): number {
    return this.stepIndex;
  }

  /** Parameters, AdamW moments and step of the policy (the reference is not included: it is the SFT checkpoint). */
  async checkpoint(metadata: Record<string, string> = {}): Promise<Checkpoint> {
    const params = await this.policy.readParams();
    const opt = await this.policy.readOptimizer();
    return {
      config: { model: { ...this.config.model }, train: { ...this.config.train } },
      step: this.stepIndex,
      tensors: tensorsFromFlat(this.layout, params),
      optimizer: { m: tensorsFromFlat(this.layout, opt.m), v: tensorsFromFlat(this.layout, opt.v), t: opt.t },
      metadata: { mode: this.options.mode, group: String(this.options.group), promptsPerStep: String(this.options.promptsPerStep), ...metadata },
    };
  }

  /** Generation's cumulative submits, GPU wait and host time, over both decoders (the benchmark's profile). */
  decoderTiming(): { submits: number; waitMs: number; hostMs: number } {
    const parts = [this.decoder.timing, this.policyDecoder?.timing].filter((t) => t !== undefined);
    return {
      submits: parts.reduce((a, t) => a + t.submits, 0),
      waitMs: parts.reduce((a, t) => a + t.waitMs, 0),
      hostMs: parts.reduce((a, t) => a + t.hostMs, 0),
    };
  }

  /** Copies the policy's parameters into the G-row sampler (one GPU copy). */
  private syncSampler(): void {
    const { device } = this.policy;
    const enc = device.createCommandEncoder({ label: 'RL.syncSampler' });
    enc.copyBufferToBuffer(this.policy.buffers.params, 0, this.sampler.buffers.params, 0, this.layout.total * 4);
    device.queue.submit([enc.finish()]);
  }

  /** G completions for each of `prompts`, from the current policy. */
  async generate(promptIndices: number[]): Promise<DecodedRollout[][]> {
    const G = this.options.group;
    if ((this.options.decode ?? 'together') === 'together' && promptIndices.length * G === this.policy.B) {
      // The policy's P·G rows decode every group at once, on its own parameters (nothing to copy);
      // its activations are overwritten, which is fine: the update's forward comes after.
      this.policyDecoder ??= Decoder.create(this.policy);
      const groups = promptIndices.map((index, p) => {
        const pr = this.options.prompts[index];
        return { prompts: Array.from({ length: G }, () => ({ frames: pr.frames, prompt: pr.prompt })), seed: mix(mix(this.config.train.seed, this.stepIndex), p) };
      });
      const out = await this.policyDecoder.generateGroups(groups, { ...this.sampling, seed: 0 });
      return out.map((o) => o.rollouts);
    }
    this.syncSampler();
    const groups: DecodedRollout[][] = [];
    for (let p = 0; p < promptIndices.length; p++) {
      const pr = this.options.prompts[promptIndices[p]];
      const seed = mix(mix(this.config.train.seed, this.stepIndex), p);
      const out = await this.decoder.generate({ frames: pr.frames, prompt: pr.prompt }, { ...this.sampling, seed });
      groups.push(out.rollouts);
    }
    return groups;
  }

  /** One RL step: generate, score, update; resolves with its log entry. */
  async trainStep(): Promise<RlLogEntry> {
    const t0 = performance.now();
    const { options, rewardConfig } = this;
    const G = options.group;
    const indices = this.order.next();
    const groups = await this.generate(indices);
    const t1 = performance.now();

    // ---- rewards and advantages per group ----
    const ctx = { config: rewardConfig, tokenizer: modelTokenizer(this.config.model.vocabulary), judge: this.judge };
    const scored: { score: RolloutScore; aP: number; aR: number; grpo: number; perceptionEnd: number | null; segment: Uint8Array }[][] = [];
    const collapsed = { perception: 0, reasoning: 0, both: 0, groups: groups.length };
    const stepRecords: RolloutRecord[][] = groups.map((rs, p) => rs.map((r) => ({ ...options.prompts[indices[p]].record, output: r.text, step: this.stepIndex })));
    await prepareJudge(stepRecords.flat(), ctx); // a judge that runs the policy (self-answer) answers the whole step in batches
    for (let p = 0; p < groups.length; p++) {
      const res = await evaluateGroup(stepRecords[p], ctx);
      if (res.diagnostics.collapsedPerception) collapsed.perception++;
      if (res.diagnostics.collapsedReasoning) collapsed.reasoning++;
      if (res.diagnostics.collapsedBoth) collapsed.both++;
      scored.push(
        groups[p].map((r, g) => {
          const perceptionEnd = parseCompletion(r.text).perceptionEnd;
          return {
            score: res.scores[g],
            aP: res.advantages.perception[g],
            aR: res.advantages.reasoning[g],
            grpo: res.advantages.grpo[g],
            perceptionEnd,
            segment: tokenSegments(r.offsets, perceptionEnd, rewardConfig.missingObservation),
          };
        }),
      );
    }
    const t2 = performance.now();

    // ---- the update batch ----
    const flat = groups.flatMap((rs, p) => rs.map((r, g) => ({ r, s: scored[p][g], p })));
    const batch = rlBatch(
      flat.map(({ r, p }) => ({ frames: options.prompts[indices[p]].frames, prompt: options.prompts[indices[p]].prompt, ids: r.ids })),
      this.config.model,
    );
    const N = batch.B * batch.T;
    const segment = scatterRows(batch, flat.map(({ s }) => s.segment), new Uint32Array(N));
    const advantages = new Float32Array(batch.B * 2);
    flat.forEach(({ s }, b) => {
      advantages[2 * b] = s.aP;
      advantages[2 * b + 1] = s.aR;
    });
    const refLogp = await this.reference.logProbs(batch);
    const oldLogp = await this.policy.logProbs(batch); // also setBatch + forward: internals.logp is current
    this.policyLoss.upload({ segment, advantages, oldLogp, refLogp });

    const lr = learningRate(this.stepIndex, this.config.train);
    const updates = Math.max(1, options.updatesPerBatch ?? 1);
    let first: PolicyLossResult | undefined;
    let last: PolicyLossResult | undefined;
    let skipped = false;
    let gradNorm = NaN;
    let clipScale = NaN;
    let entropy = NaN;
    const warn = options.onWarning ?? console.warn;
    for (let u = 0; u < updates; u++) {
      if (u > 0) await this.policy.forward();
      const l = await this.policyLoss.evaluate();
      first ??= l;
      last = l;
      if (!Number.isFinite(l.loss)) {
        skipped = true;
        warn(`RL step ${this.stepIndex} update ${u}: non-finite loss (${l.loss}); update skipped`);
        continue;
      }
      // The policy's activations are this batch's forward on the current parameters (logProbs above,
      // or forward() for a later update), so the step starts at the backward pass.
      const m = await this.policy.step(lr, { forwardDone: true });
      if (u === 0) entropy = m.entropy;
      gradNorm = m.gradNorm;
      clipScale = m.clipScale;
      if (!m.finite) {
        skipped = true;
        warn(`RL step ${this.stepIndex} update ${u}: non-finite gradient (norm ${m.gradNorm}); update skipped`);
      }
    }
    const t3 = performance.now();

    // ---- rollouts for the inspector ----
    const all = flat.map(({ r, s, p }, b): RlRollout => {
      const pr = options.prompts[indices[p]];
      const n = r.ids.length;
      const tokenAdvantage = Float32Array.from(s.segment, (k) => (k === 1 ? s.aP : s.aR));
      const out: RlRollout = {
        step: this.stepIndex,
        promptIndex: indices[p],
        groupIndex: p,
        sampleIdx: b % G,
        problemId: String(pr.record.problem_id),
        prompt: pr.prompt,
        record: pr.record,
        text: r.text,
        ids: r.ids,
        offsets: r.offsets,
        finished: r.finished,
        perceptionEnd: s.perceptionEnd,
        segment: s.segment,
        perception: s.score.perception,
        reasoning: s.score.reasoning,
        advantages: { perception: s.aP, reasoning: s.aR, grpo: s.grpo },
        sampleLogp: r.logp,
        logp: gatherRows(batch, oldLogp, b, n),
        refLogp: gatherRows(batch, refLogp, b, n),
        tokenAdvantage,
      };
      const v = s.score.verdict;
      if (v) out.judge = { name: this.judge.name, verdict: v.verdict, ...(v.score !== undefined && { score: v.score }), ...((v.explanation ?? v.error) !== undefined && { explanation: v.explanation ?? v.error }) };
      return out;
    });

    let absAdv = 0;
    let tokens = 0;
    for (const ro of all) {
      for (const a of ro.tokenAdvantage) absAdv += Math.abs(a);
      tokens += ro.ids.length;
    }
    const entry: RlLogEntry = {
      step: this.stepIndex,
      mode: options.mode,
      lr,
      loss: first!.loss,
      pgLoss: first!.pgLoss,
      kl: first!.stats.all.meanKl,
      entropy,
      clipFraction: last!.stats.all.clipFraction,
      meanRatio: last!.stats.all.meanRatio,
      gradNorm,
      clipScale,
      skipped,
      rewards: { perception: rewardMeans(all.map((r) => r.perception)), reasoning: rewardMeans(all.map((r) => r.reasoning)) },
      segmentLengths: { perception: mean(all.map((r) => r.segment.filter((k) => k === 1).length)), reasoning: mean(all.map((r) => r.segment.filter((k) => k === 2).length)) },
      collapsed,
      meanAbsAdvantage: tokens ? absAdv / tokens : 0,
      completionTokens: tokens,
      unfinished: all.filter((r) => !r.finished).length,
      ms: { total: 0, generate: t1 - t0, score: t2 - t1, update: t3 - t2 },
    };
    await options.onRollouts?.(all, this.stepIndex);
    entry.ms.total = performance.now() - t0;
    this.stepIndex++;
    this.log.push(entry);
    options.onLog?.(entry);
    return entry;
  }

  /** The PA-GRPO loss's dispatches of the policy update (the benchmark profiles them with policy.stepPlan()). */
  lossPlan(): readonly Dispatch[] {
    return this.policyLoss.plan();
  }

  /**
   * The current policy's mean rewards on `prompts`, G samples each (the sampler's rows) at the run's
   * sampling settings, without training: evaluatePrompts with `rows` = G. Same `seed`, same draws.
   */
  async evaluate(prompts: readonly RlPrompt[], seed: number): Promise<EvalResult> {
    this.syncSampler();
    return evaluatePrompts(this.decoder, prompts, { ...this.sampling, seed, rows: this.options.group, judge: this.judge, rewardOverrides: this.options.rewardOverrides });
  }

  async run(steps: number): Promise<RlLogEntry[]> {
    const out: RlLogEntry[] = [];
    for (let i = 0; i < steps; i++) out.push(await this.trainStep());
    return out;
  }
}

export interface EvalResult {
  prompts: number;
  /** Completions scored: prompts × the decoder's rows (1 with `rows: 1`). */
  completions: number;
  /** Mean reasoning accuracy reward (Video-R1 accuracy of <answer>). */
  reasoningAccuracy: number;
  /** Share of completions whose observation the judge finds sufficient. */
  perceptionAccuracy: number;
  formatPerception: number;
  formatReasoning: number;
  /** Mean R_P and R_R (accuracy + format + length of each process) under the PA-GRPO reward config. */
  perceptionReward: number;
  reasoningReward: number;
  meanTokens: number;
}

/**
 * Evaluation of a decoder's model on prompts, scored under the full PA-GRPO reward config (so the judge
 * is asked whatever the training mode was). Each prompt is decoded on every row of the decoder; `rows`
 * of them are scored (default 1: row 0, for greedy evaluation; the decoder's G for the mean reward of
 * G samples per prompt). Sampling is seeded per prompt from `seed`, so two evaluations with the same
 * seed draw the same random numbers: a difference between two models is theirs, not the sampler's.
 */
export async function evaluatePrompts(
  decoder: Decoder,
  prompts: readonly RlPrompt[],
  o: { temperature?: number; topP?: number; maxNewTokens: number; seed?: number; rows?: number; judge?: PerceptionJudge; rewardOverrides?: Partial<RewardConfig> },
): Promise<EvalResult> {
  const config = resolveConfig('pa-grpo', o.rewardOverrides);
  const ctx = { config, tokenizer: modelTokenizer(decoder.model.config.vocabulary), judge: o.judge ?? new RuleJudge() };
  const acc: number[] = [];
  const judge: number[] = [];
  const fP: number[] = [];
  const fR: number[] = [];
  const rP: number[] = [];
  const rR: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const pr = prompts[i];
    const out = await decoder.generate({ frames: pr.frames, prompt: pr.prompt }, { temperature: o.temperature ?? 0, topP: o.topP ?? 1, maxNewTokens: o.maxNewTokens, seed: mix(o.seed ?? 0, i) });
    const rollouts = out.rollouts.slice(0, Math.max(1, o.rows ?? 1));
    const res = await evaluateGroup(rollouts.map((r) => ({ ...pr.record, output: r.text })), ctx);
    res.scores.forEach((s, k) => {
      acc.push(s.reasoning.accuracy);
      judge.push(s.perception.accuracy);
      fP.push(s.perception.format);
      fR.push(s.reasoning.format);
      rP.push(s.perception.total);
      rR.push(s.reasoning.total);
      len.push(rollouts[k].ids.length);
    });
  }
  return {
    prompts: prompts.length,
    completions: acc.length,
    reasoningAccuracy: mean(acc),
    perceptionAccuracy: mean(judge),
    formatPerception: mean(fP),
    formatReasoning: mean(fR),
    perceptionReward: mean(rP),
    reasoningReward: mean(rR),
    meanTokens: mean(len),
  };
}
