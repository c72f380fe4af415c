// Attention benchmark case: causal multi-head attention forward + backward, our flash-style kernels
// (src/gpu/kernels/attention.ts) against the unfused baseline that materialises the (B, H, T, T)
// scores (bench/kernels/attention_unfused.ts). Both take the packed qkv (B*T, 3C), C = H·D, and write
// out (B*T, C), lse (B, H, T) and dqkv (B*T, 3C). The browser part reuses inputs and bindings.

import { readF32, storageBuffer, uploadBuffer } from '../../src/gpu/buffers';
import type { Attention, AttentionSizes } from '../../src/gpu/kernels/attention';
import { attentionBackward, attentionForward } from '../../src/gpu/reference/attention';
import { Rng } from '../../src/util/rng';
import type { AttentionUnfused } from '../kernels/attention_unfused';
import { attentionLabel } from '../config';
import { side, withRatios, type BenchRow } from '../report';
import { agreement, type Agreement, type Tolerance } from '../stats';
import { dispatchSampler, timeInterleaved, type Phase, type RepeatOptions } from '../timing';

/** f32 sums over up to T = 1024 keys in different orders (online vs two-pass softmax). */
export const ATTENTION_FORWARD_TOL: Tolerance = { atol: 1e-4, rtol: 1e-3 };
export const ATTENTION_BACKWARD_TOL: Tolerance = { atol: 5e-4, rtol: 5e-3 };

/** The README's target: ours at least this much faster than a baseline at T ≥ TARGET_MIN_T. */
export const ATTENTION_TARGET = 2;
export const ATTENTION_TARGET_MIN_T = 256;

/** Causal (query, key) pairs: B·H·T(T+1)/2. */
function causalPairs({ B, T, H }: AttentionSizes): number {
  return (B * H * T * (T + 1)) / 2;
}

/** Useful forward FLOPs: Q·Kᵀ and P·V over the causal pairs (softmax not counted). */
export function attentionForwardFlops(s: AttentionSizes): number {
  return 4 * causalPairs(s) * s.D;
}

/** Useful forward + backward FLOPs: forward, then dV, dP, dQ, dK (recomputation not counted). */
export function attentionTrainFlops(s: AttentionSizes): number {
  return 12 * causalPairs(s) * s.D;
}

export interface AttentionInputs {
  /** (B*T, 3C) */
  qkv: Float32Array;
  /** (B*T, C) */
  dout: Float32Array;
  /** (B) every sequence full length: the timed case has no padding. */
  lengths: Uint32Array;
}

export function attentionInputs(s: AttentionSizes, seed: number): AttentionInputs {
  const rng = new Rng(seed);
  const C = s.H * s.D;
  return {
    qkv: rng.f32(s.B * s.T * 3 * C),
    dout: rng.f32(s.B * s.T * C),
    lengths: new Uint32Array(s.B).fill(s.T),
  };
}

/** Inputs on the device (shared by both sides) and one set of outputs per side. */
export interface AttentionBuffers {
  qkv: GPUBuffer;
  dout: GPUBuffer;
  lengths: GPUBuffer;
  destroy(): void;
}

export interface AttentionOutputs {
  out: GPUBuffer;
  lse: GPUBuffer;
  dqkv: GPUBuffer;
  destroy(): void;
}

export function uploadAttentionInputs(device: GPUDevice, inputs: AttentionInputs): AttentionBuffers {
  const qkv = uploadBuffer(device, 'bench.attention.qkv', inputs.qkv);
  const dout = uploadBuffer(device, 'bench.attention.dout', inputs.dout);
  const lengths = uploadBuffer(device, 'bench.attention.lengths', inputs.lengths);
  return { qkv, dout, lengths, destroy: () => (qkv.destroy(), dout.destroy(), lengths.destroy()) };
}

export function attentionOutputs(device: GPUDevice, label: string, s: AttentionSizes): AttentionOutputs {
  const C = s.H * s.D;
  const out = storageBuffer(device, `${label}.out`, s.B * s.T * C);
  const lse = storageBuffer(device, `${label}.lse`, s.B * s.H * s.T);
  const dqkv = storageBuffer(device, `${label}.dqkv`, s.B * s.T * 3 * C);
  return { out, lse, dqkv, destroy: () => (out.destroy(), lse.destroy(), dqkv.destroy()) };
}

/** The two phases (one compute pass each) of either implementation: forward, then backward. */
export function attentionPhases(
  kernel: Pick<Attention, 'forward' | 'backward'>,
  label: string,
  inputs: AttentionBuffers,
  outputs: AttentionOutputs,
  s: AttentionSizes,
  withBackward = true,
): Phase[] {
  const args = { ...s, qkv: inputs.qkv, lengths: inputs.lengths, out: outputs.out, lse: outputs.lse };
  const phases: Phase[] = [{ name: 'forward', dispatches: kernel.forward({ ...args, label: `${label}.forward` }) }];
  if (withBackward) {
    phases.push({
      name: 'backward',
      dispatches: kernel.backward({ ...args, dout: inputs.dout, dqkv: outputs.dqkv, label: `${label}.backward` }),
    });
  }
  return phases;
}

export interface AttentionReadback {
  out: Float32Array;
  lse: Float32Array;
  dqkv?: Float32Array;
}

export async function readAttention(device: GPUDevice, outputs: AttentionOutputs, s: AttentionSizes, withBackward = true): Promise<AttentionReadback> {
  const C = s.H * s.D;
  return {
    out: await readF32(device, outputs.out, s.B * s.T * C),
    lse: await readF32(device, outputs.lse, s.B * s.H * s.T),
    ...(withBackward ? { dqkv: await readF32(device, outputs.dqkv, s.B * s.T * 3 * C) } : {}),
  };
}

/** Ours against another result (the baseline's, or the float64 reference's), per output. */
export function compareAttention(ours: AttentionReadback, other: { out: ArrayLike<number>; lse: ArrayLike<number>; dqkv?: ArrayLike<number> }): Record<string, Agreement> {
  const result: Record<string, Agreement> = {
    out: agreement(ours.out, other.out, ATTENTION_FORWARD_TOL),
    lse: agreement(ours.lse, other.lse, ATTENTION_FORWARD_TOL),
  };
  if (ours.dqkv && other.dqkv) result.dqkv = agreement(ours.dqkv, other.dqkv, ATTENTION_BACKWARD_TOL);
  return result;
}

/** The float64 CPU reference (seconds at T = 1024): used when no baseline is available. */
export function attentionReference(inputs: AttentionInputs, s: AttentionSizes, withBackward = true) {
  const { out, lse } = attentionForward(inputs.qkv, inputs.lengths, s);
  return { out, lse, ...(withBackward ? { dqkv: attentionBackward(inputs.qkv, inputs.dout, inputs.lengths, s) } : {}) };
}

/**
 * Ours vs the unfused baseline, forward + backward, on one shape: one run of each read back and
 * compared, then interleaved timing. Without a baseline, ours is checked against the CPU reference
 * and timed alone.
 */
export async function benchAttentionVsUnfused(
  device: GPUDevice,
  kernels: { ours: Attention; unfused?: AttentionUnfused },
  s: AttentionSizes,
  options: RepeatOptions & { seed: number },
): Promise<BenchRow> {
  const inputs = attentionInputs(s, options.seed);
  const buffers = uploadAttentionInputs(device, inputs);
  const oursOut = attentionOutputs(device, 'bench.attention.ours', s);
  const baseOut = kernels.unfused ? attentionOutputs(device, 'bench.attention.unfused', s) : undefined;
  const ours = dispatchSampler(device, 'bench.attention.ours', attentionPhases(kernels.ours, 'bench.Attention', buffers, oursOut, s));
  const base =
    kernels.unfused && baseOut
      ? dispatchSampler(device, 'bench.attention.unfused', attentionPhases(kernels.unfused, 'bench.AttentionUnfused', buffers, baseOut, s))
      : undefined;
  const row: BenchRow = {
    kernel: 'attention fwd+bwd',
    shape: attentionLabel(s),
    params: { ...s },
    repeats: options.repeats,
    target: s.T >= ATTENTION_TARGET_MIN_T ? ATTENTION_TARGET : undefined,
  };
  try {
    await ours.sample();
    const got = await readAttention(device, oursOut, s);
    if (base && baseOut) {
      await base.sample();
      row.agreement = compareAttention(got, await readAttention(device, baseOut, s));
      row.agreementAgainst = 'unfused baseline';
    } else {
      row.agreement = compareAttention(got, attentionReference(inputs, s));
      row.agreementAgainst = 'float64 CPU reference (no baseline)';
    }
    if (!Object.values(row.agreement).every((a) => a.ok)) {
      row.skipped = `not timed: ours disagrees with the ${row.agreementAgainst}`;
      return row;
    }
    const samplers = base ? { ours: ours.sample, base: base.sample } : { ours: ours.sample };
    const t = await timeInterleaved(samplers as Record<'ours' | 'base', typeof ours.sample>, options);
    row.ours = side('ours (Attention, flash-style)', t.ours, attentionTrainFlops(s));
    if (t.base) row.baseline = side('unfused (AttentionUnfused)', t.base, attentionTrainFlops(s));
    return withRatios(row);
  } finally {
    ours.destroy();
    base?.destroy();
    buffers.destroy();
    oursOut.destroy();
    baseOut?.destroy();
  }
}
