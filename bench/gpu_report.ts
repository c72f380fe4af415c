// `npm run bench -- --gpu-report` (issue 15 item 3): what a real GPU does with our code, in a few
// minutes, on whatever adapter Dawn finds (the same script on SwiftShader, a laptop or an H200):
//   - matmul GFLOP/s at 1024³ and 2048³ with the kernel Matmul.create picks for this adapter, as a
//     fraction of the adapter's f32 peak (--peak-gflops, else a labelled lookup, else "peak unknown");
//     on a GPU also the other Matmul kernel, for comparison;
//   - SFT step time and tokens/s of the tiny and demo presets (SftTrainer.trainStep, as the training
//     section times it);
//   - the shader-f16 matmul (src/gpu/kernels/matmul_f16.ts) against f32 where the device has the
//     feature (acquireDevice requests it whenever the adapter offers it).
// On a CPU adapter (SwiftShader: ~1-3 GFLOP/s) the work is capped so the report stays within a few
// minutes; every cap is printed and kept in the JSON notes.

import { readF32, storageBuffer, uploadBuffer } from '../src/gpu/buffers';
import type { Dispatch } from '../src/gpu/dispatch';
import { Matmul, type MatmulStrategy } from '../src/gpu/kernels/matmul';
import { AttentionF16 } from '../src/gpu/kernels/attention_f16';
import { MatmulF16 } from '../src/gpu/kernels/matmul_f16';
import { makeConfig, type Config } from '../src/model/config';
import { paramLayout } from '../src/model/params';
import { roundToF16 } from '../src/util/f16';
import { Rng } from '../src/util/rng';
import { microSamples } from '../src/train/samples';
import { SftTrainer } from '../src/train/sft';
import { matmulFlops, matmulInputs, type MatmulInputs } from './cases/matmul';
import { matmulLabel, type BenchConfig, type MatmulShape } from './config';
import { f32PeakFor, gpuReportPlan, peakFractionText, type GpuReportPlan, type Peak } from './gpu_report_plan';
import { openNodeSection } from './node_device';
import type { BenchRow, SectionBody, TimedSide } from './report';
import { agreement, formatTable, summarize, type Agreement, type Tolerance } from './stats';
import { dispatchSampler, timeInterleaved, type Sampler, type Timing } from './timing';

/** One NN matmul of `shape` by some kernel, reading and writing its own buffers. */
interface MatmulCandidate {
  label: string;
  dispatch: Dispatch;
  c: GPUBuffer;
  /** Inputs as the kernel holds them (f16-rounded for the f16 kernel). */
  round: (x: number) => number;
  tolerance: Tolerance;
  destroy(): void;
}

/**
 * `count` elements of C recomputed in float64 from the inputs as the kernel holds them (cheap at any
 * size); always includes the last element (ragged tile edge).
 */
function spotCheck(c: Float32Array, inputs: MatmulInputs, { m, n, k }: MatmulShape, round: (x: number) => number, tol: Tolerance, count = 64): Agreement {
  const got: number[] = [];
  const want: number[] = [];
  const rng = new Rng(7);
  for (let s = 0; s < Math.min(count, m * n); s++) {
    const index = s === 0 ? m * n - 1 : rng.int(m * n);
    const row = Math.floor(index / n);
    const col = index % n;
    let sum = 0;
    for (let p = 0; p < k; p++) sum += round(inputs.a[row * k + p]) * round(inputs.b[p * n + col]);
    got.push(c[index]);
    want.push(sum);
  }
  return agreement(got, want, tol);
}

const F32_TOL: Tolerance = { atol: 1e-3, rtol: 1e-3 };
/** f16 inputs are rounded in the reference; what remains is hfloat sums over 16-deep slices. */
const f16Tol = (k: number): Tolerance => ({ atol: 8e-3 * Math.sqrt(k), rtol: 1e-2 });

function f32Candidate(device: GPUDevice, kernel: Matmul, a: GPUBuffer, b: GPUBuffer, shape: MatmulShape): MatmulCandidate {
  const c = storageBuffer(device, `gpuReport.c.${kernel.strategy}`, shape.m * shape.n);
  const label = `Matmul f32 (${kernel.strategy} kernel)`;
  return { label, dispatch: kernel.bind({ a, b, c, ...shape, label: `gpuReport.${kernel.strategy}` }), c, round: Math.fround, tolerance: F32_TOL, destroy: () => c.destroy() };
}

function f16Candidate(device: GPUDevice, kernel: MatmulF16, inputs: MatmulInputs, shape: MatmulShape): MatmulCandidate {
  const a = kernel.upload('gpuReport.a.f16', inputs.a);
  const b = kernel.upload('gpuReport.b.f16', inputs.b);
  const c = storageBuffer(device, 'gpuReport.c.f16', shape.m * shape.n);
  return {
    label: `MatmulF16 (A, B in ${kernel.storage}, C f32)`,
    dispatch: kernel.bind({ a, b, c, ...shape, label: 'gpuReport.f16' }),
    c,
    round: kernel.storage === 'f16' ? roundToF16 : Math.fround,
    tolerance: kernel.storage === 'f16' ? f16Tol(shape.k) : F32_TOL,
    destroy: () => (a.destroy(), b.destroy(), c.destroy()),
  };
}

/**
 * Dispatches per timed sample: 1 on a CPU adapter; on a GPU enough back-to-back copies in one pass
 * that a sample lasts ~25 ms, so submit and completion latency do not count against the kernel.
 */
async function dispatchesPerSample(device: GPUDevice, dispatch: Dispatch, cpu: boolean): Promise<number> {
  if (cpu) return 1;
  const probe = dispatchSampler(device, `${dispatch.label}.probe`, [{ name: 'kernel', dispatches: [dispatch] }]);
  try {
    await probe.sample();
    const { wallMs, phaseMs } = await probe.sample();
    const ms = phaseMs?.kernel !== undefined && Number.isFinite(phaseMs.kernel) ? phaseMs.kernel : wallMs;
    return Math.max(1, Math.min(64, Math.ceil(25 / Math.max(ms, 0.01))));
  } finally {
    probe.destroy();
  }
}

/** 3 significant digits below 100 GFLOP/s (CPU adapters), whole numbers above. */
export function formatGflops(gflops: number): string {
  return gflops >= 100 ? gflops.toFixed(0) : gflops.toPrecision(3);
}

/** GFLOP/s from GPU timestamps where the device has them (the kernel alone), else wall time. */
function rate(t: Timing, flopsPerSample: number): { gflops: number; basis: string } {
  if (t.gpu && Number.isFinite(t.gpu.median) && t.gpu.median > 0) return { gflops: flopsPerSample / (t.gpu.median * 1e6), basis: 'GPU timestamps' };
  return { gflops: flopsPerSample / (t.wall.median * 1e6), basis: 'wall clock' };
}

interface KernelFigure {
  what: string;
  shape: string;
  gflops: number;
  basis: string;
  peak: string;
}

/** Checks each candidate once against float64, then times them interleaved; first is "ours". */
async function timeMatmuls(
  device: GPUDevice,
  kind: string,
  candidates: MatmulCandidate[],
  inputs: MatmulInputs,
  shape: MatmulShape,
  plan: { warmup: number; repeats: number },
  cpu: boolean,
  peak: Peak | undefined,
  log: (line: string) => void,
): Promise<{ row: BenchRow; figures: KernelFigure[]; failure?: string }> {
  const label = matmulLabel(shape);
  const row: BenchRow = { kernel: kind, shape: label, params: { ...shape }, repeats: plan.repeats };
  row.agreement = {};
  for (const cand of candidates) {
    await dispatchSampler(device, cand.label, [{ name: 'matmul', dispatches: [cand.dispatch] }], { timestamps: false }).sample();
    const got = await readF32(device, cand.c, shape.m * shape.n);
    row.agreement[`${cand.label}: 64 elements vs float64`] = spotCheck(got, inputs, shape, cand.round, cand.tolerance);
  }
  row.agreementAgainst = 'float64 spot check of 64 elements (inputs rounded as each kernel stores them)';
  const bad = Object.entries(row.agreement).filter(([, a]) => !a.ok).map(([name]) => name);
  if (bad.length) {
    row.skipped = `not timed: disagrees with float64 (${bad.join('; ')})`;
    return { row, figures: [], failure: `${kind} ${label}: ${row.skipped}` };
  }
  const inner = await dispatchesPerSample(device, candidates[0].dispatch, cpu);
  const samplers: Record<string, Sampler> = {};
  const owned: { destroy(): void }[] = [];
  candidates.forEach((cand, i) => {
    const s = dispatchSampler(device, cand.label, [{ name: 'matmul', dispatches: Array(inner).fill(cand.dispatch) }]);
    owned.push(s);
    samplers[i === 0 ? 'ours' : `other${i}`] = s.sample;
  });
  let timed: Record<string, Timing>;
  try {
    timed = await timeInterleaved(samplers, plan);
  } finally {
    for (const s of owned) s.destroy();
  }
  const flops = matmulFlops(shape) * inner;
  const figures: KernelFigure[] = [];
  const sides: TimedSide[] = candidates.map((cand, i) => {
    const t = timed[i === 0 ? 'ours' : `other${i}`];
    const r = rate(t, flops);
    figures.push({ what: cand.label, shape: label, gflops: r.gflops, basis: r.basis, peak: peak ? peakFractionText(r.gflops, peak) : '' });
    return { label: cand.label, wall: t.wall, ...(t.gpu ? { gpu: t.gpu } : {}), gflops: r.gflops };
  });
  row.ours = sides[0];
  row.params = { ...shape, dispatchesPerSample: inner, gflops: sides[0].gflops!, ...(peak?.gflops ? { peakGflops: peak.gflops, peakFraction: sides[0].gflops! / peak.gflops } : {}) };
  if (sides[1]) {
    row.baseline = sides[1];
    row.ratio = sides[1].wall.median / sides[0].wall.median;
    if (sides[0].gpu && sides[1].gpu) row.gpuRatio = sides[1].gpu.median / sides[0].gpu.median;
    row.params.gflopsBaseline = sides[1].gflops!;
  }
  row.note = figures.map((f) => `${f.what}: ${formatGflops(f.gflops)} GFLOP/s (${f.basis}${f.peak ? `; ${f.peak}` : ''})`).join('; ') + (inner > 1 ? `; ${inner} dispatches per timed sample` : '');
  log(`  ${kind} ${label}: ${row.note}`);
  return { row, figures };
}

interface SftFigure {
  what: string;
  shape: string;
  msPerStep: number;
  tokensPerSec: number;
  targetTokensPerSec: number;
}

async function timeSft(device: GPUDevice, plan: GpuReportPlan['sft'][number], log: (line: string) => void): Promise<{ row: BenchRow; figure: SftFigure }> {
  const overrides = plan.batchSize ? { train: { batchSize: plan.batchSize } } : {};
  const config: Config = makeConfig(plan.preset, overrides);
  const m = config.model;
  const samples = microSamples(64, config.train.seed, m.frames, m.frameSize);
  const trainer = await SftTrainer.create(device, config, { samples, onWarning: () => {} });
  const targets: number[] = [];
  const step: Sampler = async () => {
    const e = await trainer.trainStep();
    if (e.skipped || !Number.isFinite(e.loss)) throw new Error(`SFT ${plan.preset}: step ${e.step} not finite (loss ${e.loss})`);
    targets.push(e.tokens);
    log(`  SFT ${plan.preset} step ${e.step}: ${e.ms.toFixed(1)} ms, loss ${e.loss.toFixed(3)}`);
    return { wallMs: e.ms };
  };
  const timed = await timeInterleaved({ ours: step }, plan);
  const wall = timed.ours.wall;
  const { B, T } = trainer.model;
  const tokensPerSec = (B * T) / (wall.median / 1000);
  const targetTokensPerSec = summarize(targets.slice(plan.warmup)).median / (wall.median / 1000);
  const params = paramLayout(m).count;
  const shape = `${plan.preset} C=${m.width} L=${m.layers} H=${m.heads} T=${m.contextLength} B=${config.train.batchSize}${plan.batchSize ? ' (batch capped)' : ''}`;
  const row: BenchRow = {
    kernel: 'SFT step',
    shape,
    params: { C: m.width, L: m.layers, H: m.heads, T: m.contextLength, B: config.train.batchSize, params, tokensPerSec, targetTokensPerSec },
    repeats: wall.n,
    ours: { label: 'SftTrainer.trainStep (batch build, upload, one command buffer, metrics read-back)', wall },
    note: `${params.toLocaleString('en')} params; ${tokensPerSec.toFixed(0)} tokens/s (B·T positions), ${targetTokensPerSec.toFixed(0)} completion tokens/s`,
  };
  log(`  SFT ${plan.preset}: ${wall.median.toFixed(1)} ms/step, ${row.note}`);
  return { row, figure: { what: `SFT ${plan.preset}`, shape, msPerStep: wall.median, tokensPerSec, targetTokensPerSec } };
}

/**
 * AttentionF16 forward in f16 against the same kernel built with f32 storage, same qkv: the f16 output
 * must agree with the f32 one within f16 tolerance before either is timed.
 */
async function timeAttentionF16(device: GPUDevice, plan: GpuReportPlan['attention'], seed: number, cpu: boolean, log: (line: string) => void): Promise<{ row: BenchRow; figures: KernelFigure[]; failure?: string }> {
  const { B, T, H, D } = plan.shape;
  const C = H * D;
  const shape = `B=${B} T=${T} H=${H} D=${D}`;
  const qkv = new Rng(seed).f32(B * T * 3 * C);
  const lengths = uploadBuffer(device, 'gpuReport.attention.lengths', Uint32Array.from({ length: B }, () => T));
  const kernels = [await AttentionF16.create(device, D, 'f16'), await AttentionF16.create(device, D, 'f32')];
  const runs = kernels.map((kernel) => {
    const input = kernel.upload(`gpuReport.attention.qkv.${kernel.storage}`, qkv);
    const out = storageBuffer(device, `gpuReport.attention.out.${kernel.storage}`, B * T * C);
    const lse = storageBuffer(device, `gpuReport.attention.lse.${kernel.storage}`, B * H * T);
    return { kernel, buffers: [input, out, lse], out, dispatch: kernel.bind({ qkv: input, lengths, out, lse, B, T, H, label: `gpuReport.AttentionF16<${kernel.storage}>` }) };
  });
  const row: BenchRow = { kernel: 'attention fwd f16 vs f32 (AttentionF16)', shape, params: { B, T, H, D }, repeats: plan.repeats };
  const owned: { destroy(): void }[] = [];
  try {
    const outs: Float32Array[] = [];
    for (const r of runs) {
      await dispatchSampler(device, r.dispatch.label, [{ name: 'kernel', dispatches: [r.dispatch] }], { timestamps: false }).sample();
      outs.push(await readF32(device, r.out, B * T * C));
    }
    row.agreement = { 'out: f16 storage vs f32 storage': agreement(outs[0], outs[1], { atol: 5e-3, rtol: 2e-2 }) };
    row.agreementAgainst = 'the same kernel built with f32 storage (its f32 and i32 builds are tested against float64 in tests/gpu/attention_f16.test.ts)';
    if (!row.agreement['out: f16 storage vs f32 storage'].ok) {
      row.skipped = 'not timed: the f16 output disagrees with the f32 build';
      return { row, figures: [], failure: `attention f16 ${shape}: ${row.skipped}` };
    }
    const inner = await dispatchesPerSample(device, runs[0].dispatch, cpu);
    const samplers: Record<string, Sampler> = {};
    runs.forEach((r, i) => {
      const s = dispatchSampler(device, r.dispatch.label, [{ name: 'kernel', dispatches: Array(inner).fill(r.dispatch) }]);
      owned.push(s);
      samplers[i === 0 ? 'f16' : 'f32'] = s.sample;
    });
    const timed = await timeInterleaved(samplers, plan);
    // 4·D FLOPs per causal (query, key) pair (scores and p·v), as bench/README counts attention forward.
    const flops = 4 * D * B * H * ((T * (T + 1)) / 2) * inner;
    const figures: KernelFigure[] = [];
    const sides: TimedSide[] = (['f16', 'f32'] as const).map((name, i) => {
      const t = timed[name];
      const r = rate(t, flops);
      figures.push({ what: `AttentionF16 fwd (qkv ${kernels[i].storage})`, shape, gflops: r.gflops, basis: r.basis, peak: '' });
      return { label: `AttentionF16 forward, qkv in ${kernels[i].storage}`, wall: t.wall, ...(t.gpu ? { gpu: t.gpu } : {}), gflops: r.gflops };
    });
    row.ours = sides[0];
    row.baseline = sides[1];
    row.ratio = sides[1].wall.median / sides[0].wall.median;
    if (sides[0].gpu && sides[1].gpu) row.gpuRatio = sides[1].gpu.median / sides[0].gpu.median;
    row.params = { B, T, H, D, dispatchesPerSample: inner, gflops: sides[0].gflops!, gflopsBaseline: sides[1].gflops! };
    row.note = figures.map((f) => `${f.what}: ${formatGflops(f.gflops)} GFLOP/s (${f.basis})`).join('; ') + (inner > 1 ? `; ${inner} dispatches per timed sample` : '');
    log(`  attention f16 ${shape}: ${row.note}`);
    return { row, figures };
  } finally {
    for (const s of owned) s.destroy();
    for (const r of runs) for (const b of r.buffers) b.destroy();
    lengths.destroy();
  }
}

/** The readable summary printed at the end of the section (and kept in its notes). */
export function summaryTable(matmuls: KernelFigure[], sft: SftFigure[]): string {
  const rows = [
    ...matmuls.map((f) => [f.what, f.shape, `${formatGflops(f.gflops)} GFLOP/s`, f.peak || '-', f.basis]),
    ...sft.map((f) => [f.what, f.shape, `${f.tokensPerSec.toFixed(0)} tokens/s`, `${f.msPerStep.toFixed(1)} ms/step, ${f.targetTokensPerSec.toFixed(0)} completion tokens/s`, 'wall clock']),
  ];
  return formatTable(['what', 'shape', 'figure', 'of peak / detail', 'timed by'], rows);
}

export async function runGpuReport(bench: BenchConfig, log: (line: string) => void): Promise<SectionBody> {
  const section = await openNodeSection(log);
  const { ctx, result } = section;
  const { device, summary, features } = ctx;
  const cpu = summary.isFallback;
  const plan = gpuReportPlan(cpu);
  const peak = f32PeakFor(summary, bench.peakGflops);
  log(`  f32 peak: ${peak.gflops ?? 'unknown'}${peak.gflops ? ' GFLOP/s' : ''} (${peak.source})`);
  for (const cap of plan.caps) log(`  cap: ${cap}`);
  const matmulFigures: KernelFigure[] = [];
  const sftFigures: SftFigure[] = [];

  // Matmul f32: the kernel this adapter gets, and on a GPU the other one beside it.
  const chosen = await Matmul.create(device);
  const otherStrategy: MatmulStrategy = chosen.strategy === 'registers' ? 'workgroup' : 'registers';
  const other = cpu ? undefined : await Matmul.create(device, undefined, otherStrategy);
  const f16 = features.shaderF16 ? await MatmulF16.create(device, 'f16') : undefined;
  log(`  matmul kernel: ${chosen.strategy} (Matmul.create on this adapter)${other ? `; also timing ${otherStrategy} for comparison` : ''}`);
  for (const m of plan.matmul) {
    const inputs = matmulInputs(m.shape, bench.seed);
    const a = uploadBuffer(device, 'gpuReport.a', inputs.a);
    const b = uploadBuffer(device, 'gpuReport.b', inputs.b);
    const candidates = [f32Candidate(device, chosen, a, b, m.shape)];
    if (other) candidates.push(f32Candidate(device, other, a, b, m.shape));
    try {
      const r = await timeMatmuls(device, `matmul f32 (${chosen.strategy})`, candidates, inputs, m.shape, m, cpu, peak, log);
      result.rows.push(r.row);
      matmulFigures.push(...r.figures);
      if (r.failure) result.failures.push(r.failure);
      if (f16) {
        // f16 storage against the f32 kernel of the same tiling (workgroup) on the same inputs.
        const f32Tiled = chosen.strategy === 'workgroup' ? chosen : (other ?? (await Matmul.create(device, undefined, 'workgroup')));
        const pair = [f16Candidate(device, f16, inputs, m.shape), f32Candidate(device, f32Tiled, a, b, m.shape)];
        try {
          // No fraction of peak here: the f32 peak says nothing about f16 throughput.
          const h = await timeMatmuls(device, 'matmul f16 vs f32 (workgroup)', pair, inputs, m.shape, m, cpu, undefined, log);
          result.rows.push(h.row);
          matmulFigures.push(h.figures[0]);
          if (h.failure) result.failures.push(h.failure);
        } finally {
          for (const c of pair) c.destroy();
        }
      }
    } catch (e) {
      result.failures.push(`matmul ${matmulLabel(m.shape)}: ${(e as Error).stack ?? e}`);
      log(`  matmul ${matmulLabel(m.shape)}: CRASHED: ${(e as Error).message}`);
    } finally {
      for (const c of candidates) c.destroy();
      a.destroy();
      b.destroy();
    }
  }

  if (features.shaderF16) {
    try {
      const r = await timeAttentionF16(device, plan.attention, bench.seed, cpu, log);
      result.rows.push(r.row);
      matmulFigures.push(...r.figures);
      if (r.failure) result.failures.push(r.failure);
    } catch (e) {
      result.failures.push(`attention f16: ${(e as Error).stack ?? e}`);
      log(`  attention f16: CRASHED: ${(e as Error).message}`);
    }
  }

  for (const s of plan.sft) {
    try {
      const r = await timeSft(device, s, log);
      result.rows.push(r.row);
      sftFigures.push(r.figure);
    } catch (e) {
      result.failures.push(`SFT ${s.preset}: ${(e as Error).stack ?? e}`);
      log(`  SFT ${s.preset}: CRASHED: ${(e as Error).message}`);
    }
  }

  const table = summaryTable(matmulFigures, sftFigures);
  result.notes.push(
    `f32 peak: ${peak.gflops === undefined ? 'unknown' : `${peak.gflops} GFLOP/s`} (${peak.source})`,
    `matmul: Matmul.create picked the ${chosen.strategy} kernel on this adapter${other ? `; the ${otherStrategy} kernel is the baseline column (ratio > 1: the chosen one is faster)` : ''}; NN, inputs N(0,1); GFLOP/s = 2MNK over the median, from GPU timestamps where the device has them, else wall clock; each kernel spot-checked on 64 elements against float64 first`,
    features.shaderF16
      ? 'shader-f16: matmul with A, B in f16 (MatmulF16) against the f32 workgroup kernel (same tiling), same inputs; attention forward (AttentionF16) with qkv in f16 against the same kernel with qkv in f32; ratio > 1: f16 is faster. The model\'s training step does not use f16 (forward-only attention, no f16 backward)'
      : 'shader-f16 not available on this adapter: no f16 figures (the f16 kernels\' f32 and i32 builds are tested in tests/gpu/matmul_f16.test.ts and tests/gpu/attention_f16.test.ts)',
    'SFT: SftTrainer.trainStep wall time, median of the timed steps after warm-up; tokens/s counts all B·T positions (padding included), completion tokens/s the loss targets; data: microSamples (64, seeded)',
    ...plan.caps,
    `summary:\n${table}`,
  );
  if (cpu) result.notes.push(`${summary.description} runs WebGPU on the CPU: these are CPU figures, not GPU figures.`);
  device.destroy();
  return section.finish();
}
