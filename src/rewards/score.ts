// Reward assembly per process (method.md §1.5, Eq. 5): R_k = accuracy + format + length for k ∈ {P, R},
// with the judge as perception accuracy, Video-R1's accuracy reward as reasoning accuracy, and the
// ablation switches of the config. Pure: the trainer, the inspector, a worker and the CLI share it.

import { accuracyReward, isProblemType } from './accuracy';
import { groupDiagnostics, processAdvantages, type GroupDiagnostics, type ProcessAdvantages } from './advantages';
import type { RewardConfig } from './config';
import { buildJudgeRequest, normalizeOptions } from './judge';
import { formatRewards, lengthReward, segmentTokenCounts } from './process_rewards';
import { extractAnswer, parseCompletion } from './template';
import type { JudgeVerdict, ParsedCompletion, PerceptionJudge, ProcessReward, RolloutRecord, Tokenizer } from './types';

export interface ScoreContext {
  config: RewardConfig;
  tokenizer: Tokenizer;
  /** Needed only when the perception reward is on. */
  judge: PerceptionJudge | null;
}

export interface RolloutScore {
  perception: ProcessReward;
  reasoning: ProcessReward;
  /** Tokens assigned to each process (method.md §1.7), as counted by ctx.tokenizer on the decoded text. */
  tokens: { perception: number; reasoning: number };
  /** The judge's verdict, when the judge was called. */
  verdict?: JudgeVerdict;
}

const ZERO: Readonly<ProcessReward> = Object.freeze({ accuracy: 0, format: 0, length: 0, total: 0 });

function processReward(accuracy: number, format: number, length: number): ProcessReward {
  return { accuracy, format, length, total: accuracy + format + length };
}

/** Tokens per process; with no '</observation>' every token goes to config.missingObservation (§1.7 rule 3). */
export function processTokenCounts(text: string, parsed: ParsedCompletion, tokenizer: Tokenizer, config: Pick<RewardConfig, 'missingObservation'>) {
  const counts = segmentTokenCounts(text, parsed, tokenizer);
  if (parsed.perceptionEnd !== null) return { perception: counts.perception, reasoning: counts.reasoning };
  const all = counts.perception + counts.reasoning;
  return config.missingObservation === 'perception' ? { perception: all, reasoning: 0 } : { perception: 0, reasoning: all };
}

/**
 * Rewards of one rollout. Perception accuracy is the judge's verdict, asked only when the perception
 * format passes (§1.7 rule 3: no judge call for a missing or broken observation). Reasoning accuracy is
 * Video-R1's accuracy_reward on the first <answer> of the output and of the solution. The length bonus
 * keys on the same process's accuracy and format (§1.5.4 [I]). A reward switched off by the config is 0
 * in every term. The group rule lenRequiresMultipleCorrect is applied by scoreGroup / applyGroupLengthRule.
 */
export async function scoreRollout(record: RolloutRecord, parsed: ParsedCompletion, ctx: ScoreContext): Promise<RolloutScore> {
  const { config } = ctx;
  const format = formatRewards(parsed, config.formatMode);
  const tokens = processTokenCounts(record.output, parsed, ctx.tokenizer, config);
  const lengthOptions = { bonus: config.lenBonus, accuracyThreshold: config.accuracyThreshold };

  let perception: ProcessReward = { ...ZERO };
  let verdict: JudgeVerdict | undefined;
  if (config.usePerceptionReward) {
    let accuracy = 0;
    if (format.perception === 1 && parsed.observation !== null) {
      if (ctx.judge === null) throw new Error('scoreRollout: the perception reward is on but no judge is configured');
      verdict = await ctx.judge.judge(buildJudgeRequest(record, parsed.observation.text));
      accuracy = verdict.score ?? verdict.verdict;
    }
    const length = config.useLengthReward ? lengthReward(tokens.perception, config.perceptionLength, accuracy, format.perception, lengthOptions) : 0;
    perception = processReward(accuracy, format.perception, length);
  }

  let reasoning: ProcessReward = { ...ZERO };
  if (config.useReasoningReward) {
    const accuracy = accuracyReward(record.problem_type, extractAnswer(record.output), extractAnswer(record.solution));
    const length = config.useLengthReward ? lengthReward(tokens.reasoning, config.reasoningLength, accuracy, format.reasoning, lengthOptions) : 0;
    reasoning = processReward(accuracy, format.reasoning, length);
  }

  const score: RolloutScore = { perception, reasoning, tokens };
  if (verdict !== undefined) score.verdict = verdict;
  return score;
}

/**
 * Hands a judge that batches (PerceptionJudge.prepare, e.g. self-answer) every request that scoring
 * `records` will make: those with the perception reward on and a well-formed observation (scoreRollout
 * asks the judge only then). A judge without prepare is left alone.
 */
export async function prepareJudge(records: readonly RolloutRecord[], ctx: ScoreContext): Promise<void> {
  const judge = ctx.judge;
  if (judge?.prepare === undefined || !ctx.config.usePerceptionReward) return;
  const requests = records.flatMap((record) => {
    const parsed = parseCompletion(record.output);
    const ok = formatRewards(parsed, ctx.config.formatMode).perception === 1 && parsed.observation !== null;
    return ok ? [buildJudgeRequest(record, parsed.observation!.text)] : [];
  });
  if (requests.length > 0) await judge.prepare(requests);
}

/**
 * Video-R1's "more than one correct rollout in the group" condition for the reasoning length bonus
 * (config.lenRequiresMultipleCorrect; correct = accuracy > accuracyThreshold). Mutates and returns `scores`.
 */
export function applyGroupLengthRule<T extends { reasoning: ProcessReward }>(scores: T[], config: Pick<RewardConfig, 'lenRequiresMultipleCorrect' | 'accuracyThreshold'>): T[] {
  if (!config.lenRequiresMultipleCorrect) return scores;
  const correct = scores.filter((s) => s.reasoning.accuracy > config.accuracyThreshold).length;
  if (correct > 1) return scores;
  for (const s of scores) {
    s.reasoning.length = 0;
    s.reasoning.total = s.reasoning.accuracy + s.reasoning.format;
  }
  return scores;
}

/** Rewards of the G rollouts of one prompt (judge calls overlap; the judge bounds its own concurrency). */
export async function scoreGroup(records: readonly RolloutRecord[], ctx: ScoreContext): Promise<RolloutScore[]> {
  const scores = await Promise.all(records.map((r) => scoreRollout(r, parseCompletion(r.output), ctx)));
  return applyGroupLengthRule(scores, ctx.config);
}

export interface GroupResult {
  scores: RolloutScore[];
  advantages: ProcessAdvantages;
  diagnostics: GroupDiagnostics;
}

/** scoreGroup, then the group's advantages and diagnostics: one call per prompt for a trainer. */
export async function evaluateGroup(records: readonly RolloutRecord[], ctx: ScoreContext): Promise<GroupResult> {
  const parsed = records.map((r) => parseCompletion(r.output));
  const scores = applyGroupLengthRule(await Promise.all(records.map((r, i) => scoreRollout(r, parsed[i], ctx))), ctx.config);
  const rP = scores.map((s) => s.perception.total);
  const rR = scores.map((s) => s.reasoning.total);
  const diagnostics = groupDiagnostics(
    rP,
    rR,
    records.map((r, i) => ({ problemType: r.problem_type, think: parsed[i].think?.text ?? null, answer: parsed[i].extractedAnswer, options: normalizeOptions(r.options) })),
  );
  return { scores, advantages: processAdvantages(rP, rR, ctx.config), diagnostics };
}

/**
 * Checks that a parsed JSON value is a scoreable record: an object with problem_id (string or number),
 * problem, problem_type (a known type), solution and output (strings). Returns the reason when it is not.
 */
export function validateRecord(value: unknown): { record: RolloutRecord } | { error: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'not a JSON object' };
  const r = value as Record<string, unknown>;
  const missing = ['problem_id', 'problem', 'problem_type', 'solution', 'output'].filter((k) => r[k] === undefined || r[k] === null);
  if (missing.length > 0) return { error: `missing field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}` };
  if (typeof r.problem_id !== 'string' && typeof r.problem_id !== 'number') return { error: 'problem_id is neither a string nor a number' };
  for (const k of ['problem', 'problem_type', 'solution', 'output']) {
    if (typeof r[k] !== 'string') return { error: `${k} is not a string` };
  }
  if (!isProblemType(r.problem_type as string)) return { error: `unknown problem_type '${r.problem_type as string}'` };
  if (r.step !== undefined && r.step !== null && typeof r.step !== 'number' && typeof r.step !== 'string') return { error: 'step is neither a number nor a string' };
  return { record: r as RolloutRecord };
}

/** Records with the same problem_id (and the same step, when present) form one group. */
export function groupKey(record: Pick<RolloutRecord, 'problem_id' | 'step'>): string {
  const step = record.step === undefined || record.step === null ? '' : String(record.step);
  return JSON.stringify([String(record.problem_id), step]);
}
