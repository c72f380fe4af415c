// Self-answer perception reward, Vision-SR1 style (issue 14 §2): the policy answers the question from
// its own observation alone, with no frames, and the perception accuracy is that answer's accuracy
// (Video-R1's accuracy reward against the ground truth). No external LLM: one extra greedy generation
// per distinct observation, on the GPU, with the trainer's own decoder (its G-row sampler, whose
// parameters are the policy's at generation time).
//
// The frame-free input is [frame positions with no content, BOS, prompt, "<observation>OBS</observation>"]
// and the model continues with <think>…</think><answer>…</answer>. "No frames" means the frame positions
// carry zero patches (a blank video): the model's layout always starts with its frame tokens, so the
// text keeps the positions it was trained at while the observation is the only visual evidence. The
// observation is given as the start of the completion rather than inside a longer instruction because
// the small models here follow the template, not instructions.
//
// Batching: the trainer hands every request of a step to prepare() (src/rewards/score.ts prepareJudge);
// identical prompts are answered once, and prompts of equal token length are decoded together, G rows
// at a time (Decoder.generateRows needs equal lengths). A judge() call without prepare() decodes alone.

import type { FrameInput } from '../model/batch';
import { modelDims } from '../model/config';
import type { Decoder } from '../model/generate';
import { encode } from '../model/tokenizer';
import { accuracyReward } from '../rewards/accuracy';
import { createJudge, type JudgeStats } from '../rewards/judge';
import { normalizeOptions } from '../rewards/options';
import { extractAnswer } from '../rewards/template';
import type { JudgeRequest, JudgeVerdict, PerceptionJudge, RolloutRecord } from '../rewards/types';
import type { RlPrompt } from './rl_data';

/** What the trainer gives a judge factory once its decoder exists. */
export interface JudgeContext {
  decoder: Decoder;
  prompts: readonly RlPrompt[];
  maxNewTokens: number;
}
export type JudgeFactory = (ctx: JudgeContext) => PerceptionJudge;

/** The frame-free self-answer text: the question prompt, then the rollout's observation as the completion's start. */
export function selfAnswerPrompt(prompt: string, observation: string): string {
  return `${prompt}<observation>${observation}</observation>`;
}

/** The prompt of a record that is not among the trainer's prompts: problem and options on one line (compactPrompt). */
export function fallbackPrompt(record: Pick<RolloutRecord, 'problem' | 'options'>): string {
  return [record.problem, ...normalizeOptions(record.options)].join(' ');
}

const NO_FRAMES: FrameInput[] = [];

export interface SelfAnswerOptions extends JudgeContext {
  /** Seed of the (greedy) decode; kept for determinism should the sampling settings change. */
  seed?: number;
}

export class SelfAnswerJudge implements PerceptionJudge {
  readonly name = 'self-answer';
  readonly stats: JudgeStats = { calls: 0, cacheHits: 0, failures: 0, requests: 0 };
  /** Rows decoded (generateRows calls × G), against `stats.requests` distinct prompts answered. */
  rowsDecoded = 0;
  decodes = 0;
  private readonly promptOf: Map<string, string>;
  /** Answers of the last prepare(): prompt → answer text and how many judge() calls will read it. */
  private answers = new Map<string, { text: string; reads: number }>();

  constructor(private readonly o: SelfAnswerOptions) {
    if (o.decoder.model.config.frameEncoder === 'onnx') {
      throw new Error("self-answer judge: not available with frameEncoder 'onnx' (a frame-free input needs encoder features of no frames); use rules or checklist");
    }
    this.promptOf = new Map(o.prompts.map((p) => [String(p.record.problem_id), p.prompt]));
  }

  /** The frame-free text for a request. */
  textOf(request: JudgeRequest): string {
    const prompt = this.promptOf.get(String(request.record.problem_id)) ?? fallbackPrompt(request.record);
    return selfAnswerPrompt(prompt, request.observation);
  }

  async prepare(requests: readonly JudgeRequest[]): Promise<void> {
    const reads = new Map<string, number>();
    for (const r of requests) {
      const text = this.textOf(r);
      reads.set(text, (reads.get(text) ?? 0) + 1);
    }
    const texts = [...reads.keys()];
    const answers = await this.answer(texts);
    this.answers = new Map(texts.map((t, i) => [t, { text: answers[i], reads: reads.get(t)! }]));
  }

  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    this.stats.calls++;
    const text = this.textOf(request);
    let answerText: string;
    const prepared = this.answers.get(text);
    try {
      if (prepared !== undefined) {
        this.stats.cacheHits++;
        answerText = prepared.text;
        // Answers are the policy's at prepare() time: read each as often as it was asked for, then drop it.
        if (--prepared.reads <= 0) this.answers.delete(text);
      } else {
        [answerText] = await this.answer([text]);
      }
    } catch (e) {
      this.stats.failures++;
      return { verdict: 0, score: 0, error: `self-answer generation failed: ${(e as Error).message}` };
    }
    const answer = extractAnswer(answerText);
    const truth = extractAnswer(request.record.solution);
    const score = accuracyReward(request.record.problem_type, answer, truth);
    return {
      verdict: score >= 1 ? 1 : 0,
      score,
      explanation: `answered ${answer === '' ? 'nothing' : JSON.stringify(answer)} from the observation alone (no frames); accuracy ${Math.round(score * 1000) / 1000}`,
    };
  }

  /** Greedy frame-free completions of `texts`: equal token lengths decoded together, G rows per call. */
  async answer(texts: readonly string[]): Promise<string[]> {
    const { decoder } = this.o;
    const G = decoder.model.B;
    const m = decoder.model.config;
    const room = modelDims(m).maxT - modelDims(m).frameTokens - 1;
    const byLength = new Map<number, number[]>();
    texts.forEach((t, i) => {
      const n = Math.min(room, encode(t, m.vocabulary).ids.length);
      byLength.set(n, [...(byLength.get(n) ?? []), i]);
    });
    const out = new Array<string>(texts.length);
    for (const indices of byLength.values()) {
      for (let k = 0; k < indices.length; k += G) {
        const chunk = indices.slice(k, k + G);
        // Fill the unused rows with the chunk's first prompt (same length; their answers are dropped).
        const rows = Array.from({ length: G }, (_, g) => ({ frames: NO_FRAMES, prompt: texts[chunk[Math.min(g, chunk.length - 1)]] }));
        const res = await decoder.generateRows(rows, { temperature: 0, topP: 1, maxNewTokens: this.o.maxNewTokens, seed: this.o.seed ?? 0 });
        this.decodes++;
        this.rowsDecoded += G;
        chunk.forEach((i, g) => (out[i] = res.rollouts[g].text));
      }
    }
    this.stats.requests += texts.length;
    return out;
  }
}

/**
 * The perception judge of an RL run from its name: 'self-answer' as a factory the trainer calls with
 * its decoder; every other spec (rules, checklist, checklist:FIELD, field:NAME) from createJudge.
 */
export function rlJudge(spec: string): PerceptionJudge | JudgeFactory {
  if (spec === 'self-answer') return (ctx) => new SelfAnswerJudge(ctx);
  return createJudge(spec);
}
