// Timing core of the benchmarks, shared by Node (Dawn) and the browser page. A Sampler runs one
// repeat of something and reports its wall time; dispatchSampler builds one for a list of phases of
// Dispatches (one compute pass per phase, all in one command buffer): wall time is encode → submit →
// onSubmittedWorkDone, and where the device has 'timestamp-query' each pass also gets GPU timestamps
// at its start and end. timeInterleaved alternates the samplers (A B A B ...) after warm-up runs, so
// a load change on a shared machine hits ours and the baseline alike, and summarises each.

import { USAGE } from '../src/gpu/buffers';
import { encodeDispatch, type Dispatch } from '../src/gpu/dispatch';
import { summarize, type Summary } from './stats';

/** A named group of dispatches encoded into one compute pass ('forward', 'backward'). */
export interface Phase {
  name: string;
  dispatches: Dispatch[];
}

/** One repeat: wall ms, and GPU ms per phase where timestamps were written. */
export interface Sample {
  wallMs: number;
  phaseMs?: Record<string, number>;
}

export type Sampler = () => Promise<Sample>;

export interface Timing {
  /** Wall time per repeat, ms. */
  wall: Summary;
  /** Sum of the phases' GPU pass times per repeat, ms; absent without timestamps. */
  gpu?: Summary;
  /** GPU pass time of each phase, ms. */
  phases?: Record<string, Summary>;
  wallMs: number[];
  gpuMs?: number[];
}

export interface RepeatOptions {
  /** Timed repeats of each sampler (medians are over these). */
  repeats: number;
  /** Untimed runs of each sampler first (pipeline compilation, allocations, caches). */
  warmup: number;
}

const now = () => performance.now();

/**
 * A sampler for `phases` on `device`. Validation errors throw (a broken dispatch is never timed).
 * Call destroy() when done to free the query set.
 */
export function dispatchSampler(
  device: GPUDevice,
  label: string,
  phases: Phase[],
  options: { timestamps?: boolean } = {},
): { sample: Sampler; destroy(): void } {
  const useTimestamps = options.timestamps !== false && device.features.has('timestamp-query');
  const count = 2 * phases.length;
  const querySet = useTimestamps ? device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count }) : undefined;
  const resolve = querySet
    ? device.createBuffer({ label: `${label}.timestamps.resolve`, size: 8 * count, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC })
    : undefined;
  const readback = querySet
    ? device.createBuffer({ label: `${label}.timestamps.readback`, size: 8 * count, usage: USAGE.MAP_READ | USAGE.COPY_DST })
    : undefined;

  const sample: Sampler = async () => {
    device.pushErrorScope('validation');
    const t0 = now();
    const encoder = device.createCommandEncoder({ label });
    phases.forEach((phase, i) => {
      const timestampWrites = querySet ? { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } : undefined;
      const pass = encoder.beginComputePass({ label: `${label}.${phase.name}`, timestampWrites });
      for (const d of phase.dispatches) encodeDispatch(pass, d);
      pass.end();
    });
    if (querySet && resolve && readback) {
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readback, 0, 8 * count);
    }
    device.queue.submit([encoder.finish()]);
    const scope = device.popErrorScope();
    await device.queue.onSubmittedWorkDone();
    const wallMs = now() - t0;
    const error = await scope;
    if (error) throw new Error(`${label}: GPU validation error: ${error.message}`);
    if (!readback) return { wallMs };
    // Timestamps are read outside the wall-clock window.
    await readback.mapAsync(0x1 /* GPUMapMode.READ */);
    const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    const phaseMs: Record<string, number> = {};
    phases.forEach((phase, i) => {
      // A zero or reversed pair means the implementation wrote no timestamp: report NaN, not 0.
      const ns = stamps[2 * i + 1] > stamps[2 * i] ? Number(stamps[2 * i + 1] - stamps[2 * i]) : NaN;
      phaseMs[phase.name] = ns / 1e6;
    });
    return { wallMs, phaseMs };
  };

  return {
    sample,
    destroy() {
      querySet?.destroy();
      resolve?.destroy();
      readback?.destroy();
    },
  };
}

/** A sampler for an async callable that finishes its own GPU work before resolving (wall only). */
export function asyncSampler(run: () => Promise<void>): Sampler {
  return async () => {
    const t0 = now();
    await run();
    return { wallMs: now() - t0 };
  };
}

/** Runs every sampler `warmup` times, then `repeats` times interleaved, and summarises each. */
export async function timeInterleaved<K extends string>(samplers: Record<K, Sampler>, options: RepeatOptions): Promise<Record<K, Timing>> {
  const names = Object.keys(samplers) as K[];
  for (let i = 0; i < options.warmup; i++) for (const name of names) await samplers[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<K, Sample[]>;
  for (let i = 0; i < options.repeats; i++) {
    // Alternate which side goes first so neither always runs right after the other's cache state.
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const name of order) samples[name].push(await samplers[name]());
  }
  return Object.fromEntries(names.map((n) => [n, summarizeSamples(samples[n])])) as Record<K, Timing>;
}

export function summarizeSamples(samples: Sample[]): Timing {
  const wallMs = samples.map((s) => s.wallMs);
  const timing: Timing = { wall: summarize(wallMs), wallMs };
  const withPhases = samples.filter((s) => s.phaseMs);
  if (withPhases.length === samples.length && samples.length > 0) {
    const names = Object.keys(samples[0].phaseMs!);
    timing.phases = Object.fromEntries(names.map((n) => [n, summarize(samples.map((s) => s.phaseMs![n]))]));
    timing.gpuMs = samples.map((s) => names.reduce((sum, n) => sum + s.phaseMs![n], 0));
    timing.gpu = summarize(timing.gpuMs);
  }
  return timing;
}

/** Runs the dispatches once (one pass, one submit) and waits, failing on validation errors. */
export async function runOnce(device: GPUDevice, label: string, dispatches: Dispatch[]): Promise<void> {
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  for (const d of dispatches) encodeDispatch(pass, d);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const scope = device.popErrorScope();
  await device.queue.onSubmittedWorkDone();
  const error = await scope;
  if (error) throw new Error(`${label}: GPU validation error: ${error.message}`);
}
