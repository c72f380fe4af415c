// The `training` section of `npm run bench` (issue 5): time per SFT step and per RL step of our
// trainers on Dawn in Node, tokens per second, and a per-kernel GPU-time breakdown of a step from
// timestamp queries (src/train/profile.ts: the step's own dispatches re-encoded one pass per dispatch).
//
// Configs: the `tiny` preset, and `default`: the config's defaults without a preset (C 128, 4 layers,
// 4 heads of 32, T 256, 4 frames of 32 px) at B 1. The `demo` preset (C 256, T 512, B 8) takes ~150 s
// a step on SwiftShader, and even demo at T 256, B 1 took ~37 s a step on the shared 2-core machine;
// `default` at B 1 runs its few steps within about a minute there. RL: tiny only (a step is mostly
// KV-cache sampling).

import { makeConfig, modelDims, type Config } from '../src/model/config';
import { BASELINE_KERNELS, createModelKernels, type ModelKernels } from '../src/model/model';
import { paramLayout } from '../src/model/params';
import { sftStepProfiler, type StepProfile } from '../src/train/profile';
import { microSamples } from '../src/train/samples';
import { SftTrainer } from '../src/train/sft';
import type { BenchConfig } from './config';
import { openNodeSection } from './node_device';
import type { BenchRow, SectionBody, TimedSide } from './report';
import { summarize, type Summary } from './stats';
import { timeInterleaved, type Sampler } from './timing';
import { countHostCalls, type HostCalls } from './host_calls';

export interface TrainingCase {
  name: string;
  config: Config;
  /** Timed SFT steps (median reported); warm-up steps come first. */
  repeats: number;
  warmup: number;
  /** Profiled steps (per-kernel medians over these). */
  profiles: number;
}

/** The SFT configs of the section; `quick` keeps tiny only. */
export function trainingCases(bench: BenchConfig): TrainingCase[] {
  const quick = bench.preset === 'quick';
  const cases: TrainingCase[] = [{ name: 'tiny', config: makeConfig('tiny'), repeats: Math.max(bench.repeats, 5), warmup: Math.max(bench.warmup, 2), profiles: 3 }];
  if (!quick) {
    cases.push({
      name: 'default',
      config: makeConfig(undefined, { train: { batchSize: 1 } }),
      repeats: 3,
      warmup: 1,
      profiles: 1,
    });
  }
  return cases;
}

export function shapeLabel(c: Config): string {
  const m = c.model;
  return `C=${m.width} L=${m.layers} H=${m.heads} T=${m.contextLength} B=${c.train.batchSize}`;
}

function shapeParams(c: Config, params: number): Record<string, number> {
  const m = c.model;
  return { C: m.width, L: m.layers, H: m.heads, T: m.contextLength, B: c.train.batchSize, V: m.vocabSize, params };
}

/** Per-kernel rows and per-phase summaries from profiled steps. */
function kernelRows(kind: string, shape: string, params: Record<string, number>, profiles: StepProfile[]): { rows: BenchRow[]; phases: Record<string, Summary>; gpu?: Summary } {
  if (!profiles.length || !profiles[0].timestamps) return { rows: [], phases: {} };
  const kernels = new Map<string, { ms: number[]; dispatches: number }>();
  for (const p of profiles) for (const [k, v] of Object.entries(p.byKernel)) {
    const e = kernels.get(k) ?? { ms: [], dispatches: v.dispatches };
    e.ms.push(v.ms);
    kernels.set(k, e);
  }
  const gpu = summarize(profiles.map((p) => p.gpuMs));
  const phases: Record<string, Summary> = {};
  for (const name of Object.keys(profiles[0].byPhase)) phases[name] = summarize(profiles.map((p) => p.byPhase[name] ?? 0));
  const rows = [...kernels.entries()]
    .map(([k, v]) => ({ k, v, s: summarize(v.ms) }))
    .sort((a, b) => b.s.median - a.s.median)
    .map(({ k, v, s }): BenchRow => ({
      kernel: `  ${kind} gpu: ${k}`,
      shape,
      params: { ...params, dispatches: v.dispatches },
      repeats: s.n,
      ours: { label: `GPU timestamps of ${k} (profiled step, one pass per dispatch)`, wall: s, gpu: s },
      note: `${v.dispatches} dispatch(es), ${((100 * s.median) / gpu.median).toFixed(1)}% of the profiled step's GPU time`,
    }));
  return { rows, phases, gpu };
}

function hostParams(c: HostCalls): Record<string, number> {
  return { submits: c.submits, dispatches: c.dispatches, copies: c.copies, readbacks: c.readbacks };
}

function hostText(c: HostCalls): string {
  return `${c.submits} submits, ${c.dispatches} dispatches, ${c.copies} copies, ${c.readbacks} read-backs`;
}

/** Kernels as the code had them before issue 15's throughput work, beside today's (see BASELINE_KERNELS). */
export interface KernelSets {
  ours: ModelKernels;
  before: ModelKernels;
}

async function benchSft(device: GPUDevice, kernels: KernelSets, c: TrainingCase, log: (l: string) => void): Promise<BenchRow[]> {
  const { config } = c;
  const { frames, frameSize } = config.model;
  const samples = microSamples(64, config.train.seed, frames, frameSize);
  const trainer = await SftTrainer.create(device, config, { samples, kernels: kernels.ours, onWarning: () => {} });
  const before = await SftTrainer.create(device, config, { samples, kernels: kernels.before, onWarning: () => {} });
  const params = paramLayout(config.model).count;
  const shape = `${c.name} ${shapeLabel(config)}`;
  const p = shapeParams(config, params);
  const targets: number[] = [];
  const losses = { ours: [] as number[], before: [] as number[] };
  const stepOf = (name: 'ours' | 'before', t: SftTrainer): Sampler => async () => {
    const e = await t.trainStep();
    if (e.skipped || !Number.isFinite(e.loss)) throw new Error(`SFT ${c.name} (${name}): step ${e.step} not finite (loss ${e.loss})`);
    losses[name].push(e.loss);
    if (name === 'ours') targets.push(e.tokens);
    log(`  SFT ${c.name} ${name} step ${e.step}: ${e.ms.toFixed(1)} ms, loss ${e.loss.toFixed(3)}`);
    return { wallMs: e.ms };
  };
  // Before and after alternate step by step (A B B A ...), so load on a shared machine hits both alike.
  const timed = await timeInterleaved({ ours: stepOf('ours', trainer), before: stepOf('before', before) }, { warmup: c.warmup, repeats: c.repeats });
  const wall = timed.ours.wall;
  const beforeWall = timed.before.wall;
  const calls = (await countHostCalls(device, () => trainer.trainStep())).calls;
  const callsBefore = (await countHostCalls(device, () => before.trainStep())).calls;
  // Same data, same init: the two kernel sets must train alike (f32 rounding apart).
  const lossGap = Math.max(...losses.ours.map((l, i) => Math.abs(l - losses.before[i])));
  if (!(lossGap < 1e-2)) throw new Error(`SFT ${c.name}: today's kernels and the baseline's disagree on the loss by ${lossGap}`);
  const { B, T } = trainer.model;
  const positionsPerSec = (B * T) / (wall.median / 1000);
  const targetsPerSec = summarize(targets).median / (wall.median / 1000);

  const lr = config.train.lr;
  const profiler = sftStepProfiler(trainer.model, lr);
  const profiles: StepProfile[] = [];
  try {
    if (c.profiles > 1) await profiler.step(); // warm: first use of the timestamp query set
    for (let i = 0; i < c.profiles; i++) profiles.push(await profiler.step());
  } finally {
    profiler.destroy();
  }
  const k = kernelRows('SFT', shape, p, profiles);
  const ours: TimedSide = { label: 'ours (SftTrainer.trainStep: batch build, upload, one command buffer, metrics read-back)', wall };
  if (k.gpu) {
    ours.gpu = k.gpu;
    ours.phases = k.phases;
  }
  const phaseText = Object.entries(k.phases).map(([n, s]) => `${n} ${s.median.toFixed(1)}`).join(', ');
  const ratio = beforeWall.median / wall.median;
  const row: BenchRow = {
    kernel: 'SFT step',
    shape,
    params: { ...p, positionsPerSec, targetTokensPerSec: targetsPerSec, positionsPerSecBefore: (B * T) / (beforeWall.median / 1000), ...hostParams(calls) },
    repeats: wall.n,
    ours,
    baseline: { label: 'before issue 15 (BASELINE_KERNELS: workgroup-tile matmul, attention arrays for D 64, dwte by scan), same run, interleaved', wall: beforeWall },
    ratio,
    target: 3,
    note:
      `${params.toLocaleString('en')} params; ${hostText(calls)} a step (before: ${hostText(callsBefore)}); ${positionsPerSec.toFixed(0)} tokens/s (B·T positions) vs ${((B * T) / (beforeWall.median / 1000)).toFixed(0)} before (${ratio.toFixed(2)}x; target 3x: ${ratio >= 3 ? 'met' : `missed by ${(3 / ratio).toFixed(2)}x`}), ${targetsPerSec.toFixed(0)} completion tokens/s; loss gap to before ${lossGap.toExponential(1)}` +
      (k.gpu ? `; profiled step GPU ${k.gpu.median.toFixed(1)} ms (${phaseText}), profiled wall ${summarize(profiles.map((x) => x.wallMs)).median.toFixed(1)} ms` : '; no timestamp-query: no per-kernel breakdown'),
  };
  log(`  SFT ${c.name}: ${wall.median.toFixed(1)} ms/step, ${row.note}`);
  return [row, ...k.rows];
}

async function benchRl(device: GPUDevice, kernels: KernelSets, bench: BenchConfig, log: (l: string) => void): Promise<{ rows: BenchRow[]; notes: string[] }> {
  // Imported here: the RL trainer is young; a broken import must only cost the RL rows.
  const { RlTrainer } = await import('../src/train/rl');
  const { microRlPrompts } = await import('../src/train/rl_data');
  const { PaGrpoLoss } = await import('../src/gpu/kernels/pa_grpo_loss');
  const config = makeConfig('tiny');
  const group = 4;
  const promptsPerStep = 2;
  const maxNewTokens = 64;
  const prompts = microRlPrompts(16, 3, config.model.frames, config.model.frameSize);
  const lossKernel = await PaGrpoLoss.create(device);
  const common = { prompts, mode: 'pa-grpo', group, promptsPerStep, sampling: { maxNewTokens }, lossKernel, onWarning: () => {} };
  const trainer = await RlTrainer.create(device, config, { ...common, kernels: kernels.ours });
  // Before issue 15: baseline kernels, and each prompt's group decoded after the other on the G-row sampler.
  const before = await RlTrainer.create(device, config, { ...common, kernels: kernels.before, decode: 'per-prompt' });
  const repeats = bench.preset === 'quick' ? 3 : 5;
  const warmup = 1;
  const total: number[] = [];
  const gen: number[] = [];
  const score: number[] = [];
  const update: number[] = [];
  const tokens: number[] = [];
  const beforeTokens: number[] = [];
  const beforeGen: number[] = [];
  const beforeUpdate: number[] = [];
  const stepOf = (name: 'ours' | 'before', t: typeof trainer): Sampler => async () => {
    const e = await t.trainStep();
    if (name === 'ours') {
      total.push(e.ms.total);
      gen.push(e.ms.generate);
      score.push(e.ms.score);
      update.push(e.ms.update);
      tokens.push(e.completionTokens);
    } else {
      beforeTokens.push(e.completionTokens);
      beforeGen.push(e.ms.generate);
      beforeUpdate.push(e.ms.update);
    }
    log(`  RL tiny ${name} step ${e.step}: ${e.ms.total.toFixed(0)} ms (generate ${e.ms.generate.toFixed(0)}, score ${e.ms.score.toFixed(1)}, update ${e.ms.update.toFixed(0)}), ${e.completionTokens} completion tokens`);
    return { wallMs: e.ms.total };
  };
  const timed = await timeInterleaved({ ours: stepOf('ours', trainer), before: stepOf('before', before) }, { warmup, repeats });
  for (const list of [total, gen, score, update, tokens, beforeTokens, beforeGen, beforeUpdate]) list.splice(0, warmup);
  // One more step of each, counted: how many submits, dispatches, copies and read-backs a step makes.
  const counted = await countHostCalls(device, () => trainer.trainStep());
  const countedBefore = await countHostCalls(device, () => before.trainStep());
  const calls = counted.calls;
  const callsBefore = countedBefore.calls;
  // Host work in generation (sampling, batch building, encoding) against waiting for the GPU and read-backs.
  const decoderTiming = (t: typeof trainer) => t.decoderTiming();
  const decodeOurs = decoderTiming(trainer);
  const decodeBefore = decoderTiming(before);
  const decodeText = (d: { submits: number; waitMs: number; hostMs: number }) =>
    `${d.submits} decode submits, host ${(d.hostMs / Math.max(1, d.submits)).toFixed(2)} ms and GPU + read-back wait ${(d.waitMs / Math.max(1, d.submits)).toFixed(2)} ms a submit`;
  const perToken = (c: HostCalls, n: number) => `${(c.readbacks / Math.max(1, n)).toFixed(2)} read-backs a completion token`;
  const beforeWall = timed.before.wall;
  const shape = `tiny ${shapeLabel({ ...config, train: { ...config.train, batchSize: group * promptsPerStep } })} G=${group} P=${promptsPerStep} maxNew=${maxNewTokens}`;
  const p = { ...shapeParams(config, paramLayout(config.model).count), G: group, P: promptsPerStep, maxNewTokens };
  const wall = summarize(total);
  const tokPerSec = summarize(tokens).median / (wall.median / 1000);
  const ratio = beforeWall.median / wall.median;
  const rows: BenchRow[] = [
    {
      kernel: 'RL step',
      shape,
      params: { ...p, completionTokensPerSec: tokPerSec, completionTokens: summarize(tokens).median, completionTokensBefore: summarize(beforeTokens).median, ...hostParams(calls) },
      repeats: wall.n,
      ours: { label: 'ours (RlTrainer.trainStep: sample G per prompt, score, ref/old log-probs, PA-GRPO update)', wall },
      baseline: { label: 'before issue 15 (BASELINE_KERNELS, groups decoded one after another), same run, interleaved', wall: beforeWall },
      ratio,
      target: 3,
      note:
        `${ratio.toFixed(2)}x the step before (target 3x: ${ratio >= 3 ? 'met' : `missed by ${(3 / ratio).toFixed(2)}x`}); ${tokPerSec.toFixed(0)} completion tokens/s; ` +
        `${hostText(calls)} a step, ${perToken(calls, counted.result.completionTokens)} (before: ${hostText(callsBefore)}, ${perToken(callsBefore, countedBefore.result.completionTokens)}); ` +
        `generation over the whole run: ${decodeText(decodeOurs)} (before: ${decodeText(decodeBefore)}); ` +
        `median completion tokens a step ${summarize(tokens).median} (before ${summarize(beforeTokens).median}); generate ${summarize(gen).median.toFixed(0)} ms (before ${summarize(beforeGen).median.toFixed(0)}), ` +
        `score ${summarize(score).median.toFixed(1)} ms, update ${summarize(update).median.toFixed(0)} ms (before ${summarize(beforeUpdate).median.toFixed(0)})`,
    },
    { kernel: '  RL generate', shape, params: p, repeats: gen.length, ours: { label: 'KV-cache sampling of P·G completions', wall: summarize(gen) }, baseline: { label: 'before issue 15', wall: summarize(beforeGen) }, ratio: summarize(beforeGen).median / summarize(gen).median },
    { kernel: '  RL update', shape, params: p, repeats: update.length, ours: { label: 'ref + old log-probs, loss, forward + backward + AdamW', wall: summarize(update) }, baseline: { label: 'before issue 15', wall: summarize(beforeUpdate) }, ratio: summarize(beforeUpdate).median / summarize(update).median },
  ];
  // Per-kernel GPU time of the policy's update: the same GpuModel step (B = P·G) plus the PA-GRPO loss.
  const extra = [{ name: 'policyLoss', dispatches: trainer.lossPlan() }];
  const profiler = sftStepProfiler(trainer.policy, config.train.lr, extra);
  const profiles: StepProfile[] = [];
  try {
    await profiler.step();
    for (let i = 0; i < 3; i++) profiles.push(await profiler.step());
  } finally {
    profiler.destroy();
  }
  const k = kernelRows('RL update', shape, p, profiles);
  if (k.gpu) {
    rows[2].ours!.gpu = k.gpu;
    rows[2].ours!.phases = k.phases;
    rows[2].note = `profiled policy step GPU ${k.gpu.median.toFixed(1)} ms (${Object.entries(k.phases).map(([n, s]) => `${n} ${s.median.toFixed(1)}`).join(', ')})`;
  }
  rows.push(...k.rows);
  const notes = [
    `RL: tiny preset, PA-GRPO, G=${group} completions for each of P=${promptsPerStep} prompts, at most ${maxNewTokens} new tokens (temperature 1, top-p 0.95); the step time is dominated by sampling (one decoder step per token); ` +
      `the per-kernel rows profile the policy's update only (its GpuModel step + the PA-GRPO loss).`,
  ];
  return { rows, notes };
}

export async function runTrainingSection(bench: BenchConfig, log: (line: string) => void): Promise<SectionBody> {
  const section = await openNodeSection(log);
  const { ctx, result } = section;
  const { device, summary } = ctx;
  const cases = trainingCases(bench);
  const headDims = [...new Set(cases.map((c) => modelDims(c.config.model).D))];
  const kernels: KernelSets = { ours: await createModelKernels(device, headDims), before: await createModelKernels(device, headDims, BASELINE_KERNELS) };
  log(`  kernels: ours ${JSON.stringify(kernels.ours.choices)}; before ${JSON.stringify(kernels.before.choices)}`);
  for (const c of cases) {
    try {
      result.rows.push(...(await benchSft(device, kernels, c, log)));
    } catch (e) {
      result.failures.push(`SFT ${c.name}: ${(e as Error).stack ?? e}`);
      log(`  SFT ${c.name}: CRASHED: ${(e as Error).message}`);
    }
  }
  try {
    const rl = await benchRl(device, kernels, bench, log);
    result.rows.push(...rl.rows);
    result.notes.push(...rl.notes);
  } catch (e) {
    result.failures.push(`RL tiny: ${(e as Error).stack ?? e}`);
    log(`  RL: CRASHED: ${(e as Error).message}`);
  }
  result.notes.push(
    'SFT step = SftTrainer.trainStep wall time (batch build + upload + one command buffer + metrics read-back), median over the timed steps after warm-up; tokens/s counts all B·T positions (padding included) and, separately, completion (loss) tokens.',
    `per-kernel rows ("gpu: <pipeline>"): GPU timestamp ms summed over that kernel's dispatches in a profiled step (src/train/profile.ts: the step's own dispatches, one compute pass each); their sum is an upper bound of a normal step's GPU time${ctx.features.timestampQuery ? '' : ' (timestamp-query NOT available on this device: no breakdown)'}.`,
    'default = makeConfig() without a preset (C 128, 4 layers, 4 heads of 32, T 256) at B 1, the largest shape that runs a few steps within about a minute on SwiftShader: demo (C 256, T 512, B 8) takes ~150 s a step there, demo at T 256, B 1 ~37 s.',
  );
  if (summary.isFallback) result.notes.push(`${summary.description} runs WebGPU on the CPU: these are CPU figures, not GPU figures.`);
  device.destroy();
  return section.finish();
}
