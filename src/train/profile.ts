// Per-kernel GPU time of one training step, for the benchmarks (bench/training.ts). GpuModel encodes a
// step as three compute passes (forward, backward, optimizer) in one command buffer, so timestamp
// queries on its own passes give three figures only. This profiler re-encodes THE SAME Dispatch list
// (same pipelines, bind groups, workgroup counts, same parameter-view copies around it) with ONE
// compute pass per dispatch, each with `timestampWrites` at its start and end, and sums the pass times
// per kernel (pipeline label: 'Matmul.NT', 'Attention.dq', ...) and per phase. GpuModel's normal path
// is untouched; a profiled step is a real step (the parameters are updated as by GpuModel.step).
//
// Caveats: one pass per dispatch adds a pass boundary between kernels (on SwiftShader / Dawn about the
// same as the barrier between dispatches in one pass; on a real GPU it can cost a few µs each), so the
// sum of the per-kernel figures is an upper bound of the GPU time of a normal step. Needs the device's
// 'timestamp-query' feature; without it only the profiled step's wall time is returned.

import { USAGE } from '../gpu/buffers';
import { encodeDispatch, type Dispatch } from '../gpu/dispatch';
import type { GpuModel } from '../model/model';

/** The dispatches of one SFT training step of a GpuModel, in encoding order (GpuModel.stepPlan). */
export type StepPlan = ReturnType<GpuModel['stepPlan']>;

/** A named list of dispatches profiled as one phase ('forward', 'backward', 'optimizer', 'policyLoss'). */
export interface ProfilePhase {
  name: string;
  dispatches: readonly Dispatch[];
}

export interface StepProfile {
  /** Encode → submit → onSubmittedWorkDone of the profiled step, ms (one pass per dispatch: slower than a normal step). */
  wallMs: number;
  /** False when the device has no 'timestamp-query': the figures below are then empty. */
  timestamps: boolean;
  /** GPU ms per kernel (pipeline label), summed over its dispatches. */
  byKernel: Record<string, { ms: number; dispatches: number }>;
  /** GPU ms per phase. */
  byPhase: Record<string, number>;
  /** Sum of all passes, ms. */
  gpuMs: number;
  /** Passes whose timestamps were missing or reversed (not counted). */
  missing: number;
}

/** Kernel name of a dispatch: its pipeline's label, else the dispatch label up to the first '.'. */
export function kernelName(d: Dispatch): string {
  const label = (d.pipeline as { label?: string }).label;
  return label && label.length ? label : d.label.split('.')[0];
}

/**
 * Profiles phases of dispatches with one timestamped pass per dispatch. `before` / `after` add
 * non-pass commands (buffer copies) around the passes of a phase, as the real step has them.
 */
export class StepProfiler {
  private readonly querySet?: GPUQuerySet;
  private readonly resolve?: GPUBuffer;
  private readonly readback?: GPUBuffer;
  private readonly count: number;

  constructor(
    readonly device: GPUDevice,
    readonly phases: (ProfilePhase & { before?: (e: GPUCommandEncoder) => void; after?: (e: GPUCommandEncoder) => void })[],
    readonly label = 'Profile',
  ) {
    const passes = phases.reduce((n, p) => n + p.dispatches.length, 0);
    this.count = 2 * passes;
    const limit = 4096; // WebGPU's maximum query count per set
    if (device.features.has('timestamp-query') && this.count <= limit) {
      this.querySet = device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count: this.count });
      this.resolve = device.createBuffer({ label: `${label}.timestamps.resolve`, size: 8 * this.count, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC });
      this.readback = device.createBuffer({ label: `${label}.timestamps.readback`, size: 8 * this.count, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    }
  }

  get timestamps(): boolean {
    return this.querySet !== undefined;
  }

  async run(): Promise<StepProfile> {
    const { device, querySet, resolve, readback } = this;
    device.pushErrorScope('validation');
    const t0 = performance.now();
    const encoder = device.createCommandEncoder({ label: this.label });
    let q = 0;
    const order: { phase: string; kernel: string }[] = [];
    for (const phase of this.phases) {
      phase.before?.(encoder);
      for (const d of phase.dispatches) {
        const timestampWrites = querySet ? { querySet, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } : undefined;
        const pass = encoder.beginComputePass({ label: `${this.label}.${d.label}`, timestampWrites });
        encodeDispatch(pass, d);
        pass.end();
        order.push({ phase: phase.name, kernel: kernelName(d) });
        q += 2;
      }
      phase.after?.(encoder);
    }
    if (querySet && resolve && readback) {
      encoder.resolveQuerySet(querySet, 0, this.count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readback, 0, 8 * this.count);
    }
    device.queue.submit([encoder.finish()]);
    const scope = device.popErrorScope();
    await device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - t0;
    const error = await scope;
    if (error) throw new Error(`${this.label}: GPU validation error: ${error.message}`);
    const out: StepProfile = { wallMs, timestamps: this.timestamps, byKernel: {}, byPhase: {}, gpuMs: 0, missing: 0 };
    if (!readback) return out;
    await readback.mapAsync(0x1 /* GPUMapMode.READ */);
    const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    order.forEach(({ phase, kernel }, i) => {
      const a = stamps[2 * i];
      const b = stamps[2 * i + 1];
      if (!(b > a)) {
        out.missing++;
        return;
      }
      const ms = Number(b - a) / 1e6;
      const k = (out.byKernel[kernel] ??= { ms: 0, dispatches: 0 });
      k.ms += ms;
      k.dispatches++;
      out.byPhase[phase] = (out.byPhase[phase] ?? 0) + ms;
      out.gpuMs += ms;
    });
    return out;
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.readback?.destroy();
  }
}

/**
 * A profiler for one SFT training step of `model` at learning rate `lr` on its current batch:
 * forward, backward, clip + AdamW, exactly the work of GpuModel.step
 * (the metrics read-back excepted). Each run() is a real update; `model.updates` is not advanced.
 * `extra` phases (e.g. the RL policy loss) are profiled after the optimizer.
 */
export function sftStepProfiler(model: GpuModel, lr: number, extra: ProfilePhase[] = []): StepProfiler & { step(): Promise<StepProfile> } {
  const plan = model.stepPlan();
  const profiler = new StepProfiler(model.device, [
    { name: 'forward', dispatches: plan.forward },
    { name: 'backward', dispatches: plan.backward },
    { name: 'optimizer', dispatches: plan.optimizer },
    ...extra,
  ], `${model.device.label || 'Model'}.profile`);
  return Object.assign(profiler, {
    step: () => {
      plan.setStep(model.updates + 1, lr);
      return profiler.run();
    },
  });
}
