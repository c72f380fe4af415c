// The golden training test (style.md item 7): the test preset from a fixed seed, trained with SFT on
// the GPU, reproduces the loss curve the float64 CPU reference recorded in
// tests/fixtures/golden_sft_tiny.json (scripts/make-golden.ts), and overfits one batch.

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import golden from '../fixtures/golden_sft_tiny.json';
import { makeConfig } from '../../src/model/config';
import { createModelKernels, type ModelKernels } from '../../src/model/model';
import { SftTrainer } from '../../src/train/sft';
import { parseCheckpoint, serializeCheckpoint } from '../../src/train/checkpoint';
import { microSamples } from '../../src/train/samples';

/**
 * Tolerance on each step's loss: |gpu − golden| ≤ ATOL + RTOL·golden. The GPU runs in f32 and the
 * reference in f64; AdamW carries the rounding differences forward, so the curves drift apart
 * slowly with the step count. Measured on SwiftShader: at most 5.5e-6 relative over 20 steps, so
 * 1e-4 leaves ~20x headroom for other adapters' summation orders and fused multiply-adds.
 */
const ATOL = 1e-4;
const RTOL = 1e-4;

let kernels: Promise<ModelKernels> | undefined;
const sharedKernels = async () => (kernels ??= createModelKernels(await device(), [16]));

describe('SFT golden run (test preset)', () => {
  it('reproduces the loss curve recorded by the CPU reference, across a checkpoint and resume', async () => {
    const config = makeConfig(golden.preset as 'test', { train: { steps: golden.steps } });
    expect(config).toEqual(golden.config); // the fixture was recorded with this exact config
    const options = { samples: microSamples(golden.samples, golden.dataSeed), kernels: await sharedKernels() };
    const first = await SftTrainer.create(await device(), config, options);
    const half = Math.floor(golden.steps / 2);
    await first.run(half);
    // Through the bytes a user would download: safetensors + JSON, parsed back (params, AdamW m, v, t).
    const ser = await serializeCheckpoint(await first.checkpoint());
    const second = await SftTrainer.create(await device(), config, { ...options, resume: await parseCheckpoint(ser.safetensors, ser.config) });
    expect(second.step).toBe(half);
    await second.run(golden.steps - half);
    const log = [...first.log, ...second.log];
    const bad = log
      .map((e, i) => ({ i, got: e.loss, want: golden.loss[i] }))
      .filter(({ got, want }) => !(Math.abs(got - want) <= ATOL + RTOL * want));
    expect(bad, `steps off the golden curve:\n${bad.map((b) => `  step ${b.i}: ${b.got} vs ${b.want}`).join('\n')}`).toEqual([]);
    expect(log.every((e) => !e.skipped)).toBe(true);
  });

  it('overfits one batch: the loss falls by more than 50x in 30 steps', async () => {
    // One sequence (B = 1, half the tiny step's cost). The CPU reference takes this run from 5.57 to
    // 0.033 (≈ 170x).
    const config = makeConfig('test', { train: { steps: 30, seed: 3, lr: 2e-2, batchSize: 1 } });
    const trainer = await SftTrainer.create(await device(), config, { samples: microSamples(8, 2), fixedBatch: true, kernels: await sharedKernels() });
    const log = await trainer.run(30);
    const first = log[0].loss;
    const last = log.at(-1)!.loss;
    expect(first).toBeGreaterThan(5); // ≈ ln(260) at initialisation
    expect(last, `loss ${first} -> ${last}`).toBeLessThan(first / 50);
  });
});
