// A quick on-device check that kernels compile and agree with their CPU references: what the app
// shows under "Self-test", and what the browser end-to-end test runs on the real page. The Device
// page adds checks from layers above (the model's ONNX frame encoder, src/model/onnx_self_test.ts)
// by passing them to runSelfTest: src/gpu imports nothing from src/model.

import { readF32, uploadBuffer, storageBuffer } from './buffers';
import { encodeAll } from './dispatch';
import { Attention } from './kernels/attention';
import { Matmul } from './kernels/matmul';
import { ResidualAdd } from './kernels/residual_add';
import { attentionForward } from './reference/attention';
import { matmul } from './reference/matmul';
import { residualAdd } from './reference/residual_add';
import { Rng } from '../util/rng';

export interface SelfTestResult {
  kernel: string;
  ok: boolean;
  maxAbsError: number;
  elements: number;
  ms: number;
  error?: string;
}

async function checkResidualAdd(device: GPUDevice): Promise<SelfTestResult> {
  const n = 1031; // not a multiple of the workgroup size: exercises the bounds check
  const rng = new Rng(7);
  const a = rng.f32(n);
  const b = rng.f32(n);
  const out = storageBuffer(device, 'SelfTest.out', n);
  const kernel = await ResidualAdd.create(device);
  const t0 = performance.now();
  device.queue.submit([encodeAll(device, 'SelfTest', [kernel.add({ a: uploadBuffer(device, 'SelfTest.a', a), b: uploadBuffer(device, 'SelfTest.b', b), out, n })])]);
  const got = await readF32(device, out, n);
  const ms = performance.now() - t0;
  const want = residualAdd(a, b);
  let maxAbsError = 0;
  for (let i = 0; i < n; i++) maxAbsError = Math.max(maxAbsError, Math.abs(got[i] - want[i]));
  return { kernel: 'residual_add', ok: maxAbsError <= 1e-6, maxAbsError, elements: n, ms };
}

async function checkMatmul(device: GPUDevice): Promise<SelfTestResult> {
  // Ragged on purpose: no dimension is a multiple of the 32×32 output tile or the 16-deep K slice.
  const [m, n, k] = [37, 45, 29];
  const rng = new Rng(11);
  const a = rng.f32(m * k);
  const b = rng.f32(k * n);
  const c = storageBuffer(device, 'SelfTest.c', m * n);
  const kernel = await Matmul.create(device);
  const t0 = performance.now();
  const dispatch = kernel.bind({ a: uploadBuffer(device, 'SelfTest.A', a), b: uploadBuffer(device, 'SelfTest.B', b), c, m, n, k });
  device.queue.submit([encodeAll(device, 'SelfTest', [dispatch])]);
  const got = await readF32(device, c, m * n);
  const ms = performance.now() - t0;
  const want = matmul(a, b, { m, n, k });
  let maxAbsError = 0;
  for (let i = 0; i < m * n; i++) maxAbsError = Math.max(maxAbsError, Math.abs(got[i] - want[i]));
  return { kernel: 'matmul', ok: maxAbsError <= 1e-4 * Math.sqrt(k), maxAbsError, elements: m * n, ms };
}

async function checkAttention(device: GPUDevice): Promise<SelfTestResult> {
  // Two sequences, the second padded: exercises the causal mask, valid lengths and a partial key tile.
  const [B, T, H, D] = [2, 37, 2, 16];
  const lengths = new Uint32Array([37, 30]);
  const rng = new Rng(13);
  const qkv = rng.f32(B * T * 3 * H * D);
  const out = storageBuffer(device, 'SelfTest.attnOut', B * T * H * D);
  const lse = storageBuffer(device, 'SelfTest.lse', B * H * T);
  const kernel = await Attention.create(device, [D]);
  const t0 = performance.now();
  const dispatches = kernel.forward({
    qkv: uploadBuffer(device, 'SelfTest.qkv', qkv),
    lengths: uploadBuffer(device, 'SelfTest.lengths', lengths),
    out,
    lse,
    B,
    T,
    H,
    D,
  });
  device.queue.submit([encodeAll(device, 'SelfTest', dispatches)]);
  const got = await readF32(device, out, B * T * H * D);
  const ms = performance.now() - t0;
  const want = attentionForward(qkv, lengths, { B, T, H, D }).out;
  let maxAbsError = 0;
  for (let i = 0; i < want.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(got[i] - want[i]));
  return { kernel: 'attention_forward', ok: maxAbsError <= 1e-4, maxAbsError, elements: want.length, ms };
}

/** One row of the self-test: runs on the device and compares with a CPU reference. */
export type SelfTestCheck = (device: GPUDevice) => Promise<SelfTestResult>;

/** The kernel rows, in the order the page lists them. */
export const KERNEL_CHECKS: readonly SelfTestCheck[] = [checkResidualAdd, checkMatmul, checkAttention];

/** Runs each check in turn; a check that throws becomes a failed row named after it. */
export async function runSelfTest(device: GPUDevice, checks: readonly SelfTestCheck[] = KERNEL_CHECKS): Promise<SelfTestResult[]> {
  const results: SelfTestResult[] = [];
  for (const check of checks) {
    try {
      results.push(await check(device));
    } catch (e) {
      results.push({ kernel: check.name, ok: false, maxAbsError: NaN, elements: 0, ms: 0, error: (e as Error).message });
    }
  }
  return results;
}
