// Shared by every GPU kernel test: one Dawn device per test file (SwiftShader when there is no GPU),
// upload/read-back helpers, and the comparison every kernel test uses.
// A missing adapter FAILS the test: on CI WebGPU is present, so it never skips silently.

import { afterAll } from 'vitest';
import { acquireDevice, type GpuContext } from '../../src/gpu/device';
import { nodeGpu } from '../../src/gpu/node-gpu';
import { encodeAll, type Dispatch } from '../../src/gpu/dispatch';
import { readF32, uploadBuffer, storageBuffer } from '../../src/gpu/buffers';

let context: Promise<GpuContext> | undefined;
const errors: string[] = [];

export async function gpu(): Promise<GpuContext> {
  context ??= nodeGpu().then((g) => acquireDevice({ gpu: g, onError: (e) => errors.push(`${e.code}: ${e.message}`) }));
  return context;
}

export async function device(): Promise<GPUDevice> {
  return (await gpu()).device;
}

afterAll(async () => {
  if (context) (await context).device.destroy();
  if (errors.length) throw new Error(`uncaptured GPU errors:\n${errors.join('\n')}`);
});

export function upload(d: GPUDevice, label: string, data: Float32Array | Int32Array | Uint32Array): GPUBuffer {
  return uploadBuffer(d, label, data);
}

export function empty(d: GPUDevice, label: string, length: number): GPUBuffer {
  return storageBuffer(d, label, length);
}

/** Encodes the dispatches in one pass, submits, and waits for completion, failing on GPU errors. */
export async function run(d: GPUDevice, dispatches: Dispatch[]): Promise<void> {
  d.pushErrorScope('validation');
  d.queue.submit([encodeAll(d, 'test', dispatches)]);
  await d.queue.onSubmittedWorkDone();
  const err = await d.popErrorScope();
  if (err) throw new Error(`GPU validation error: ${err.message}`);
}

export async function read(d: GPUDevice, buffer: GPUBuffer, length: number): Promise<Float32Array> {
  return (await readF32(d, buffer, length)).subarray(0, length);
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise. On failure, the message lists
 * the first mismatches by index so a broken kernel points at its broken tile.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label = 'values',
): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const bad: string[] = [];
  let count = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const ok = Number.isFinite(a) === Number.isFinite(e) && (err <= tol.atol + tol.rtol * Math.abs(e) || a === e);
    if (!ok) {
      count++;
      worst = Math.max(worst, Number.isFinite(err) ? err : Infinity);
      if (bad.length < 8) bad.push(`  [${i}] got ${a}, expected ${e} (|diff| ${err.toExponential(2)})`);
    }
  }
  if (count > 0) {
    throw new Error(
      `${label}: ${count} of ${expected.length} outside atol ${tol.atol} + rtol ${tol.rtol}·|ref| (worst ${worst.toExponential(2)}):\n${bad.join('\n')}`,
    );
  }
}
