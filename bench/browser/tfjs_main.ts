// The `tfjs` benchmark page (bench/browser/tfjs.html), run in headless Chromium by bench/tfjs.ts: one
// SFT step of our trainer (SftTrainer on our own GPUDevice) against one SFT step of the same
// transformer written in TensorFlow.js (bench/browser/tfjs_model.ts) on the webgpu backend's own
// GPUDevice, both from navigator.gpu's default adapter in the same page. Both start from the same
// initial parameters (initParams → TF.js variables) and train on the same fixed batch; the losses at
// the initial parameters are compared before timing, and the parameter counts must be equal.

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { makeConfig, modelDims, type Config } from '../../src/model/config';
import { paramLayout, initParams } from '../../src/model/params';
import { lossWeights } from '../../src/model/reference';
import { tensorsFromFlat } from '../../src/train/checkpoint';
import { BatchOrder, sftBatch } from '../../src/train/data';
import { microSamples } from '../../src/train/samples';
import { learningRate } from '../../src/train/schedule';
import { SftTrainer } from '../../src/train/sft';
import type { BenchConfig } from '../config';
import { side, withRatios, type BenchRow, type SectionBody } from '../report';
import { asyncSampler, timeInterleaved } from '../timing';
import { adapterLabel, finishSection, log, logElement, startSection } from './section';
import { TfTransformer } from './tfjs_model';

declare global {
  interface Window {
    p2rTfjsBench?: { run(config: BenchConfig): Promise<SectionBody> };
  }
}

/** Target of issue 5: our SFT step ≥ 3x faster than TF.js's. */
export const TFJS_TARGET = 3;

interface TfjsCase {
  name: string;
  config: Config;
  repeats: number;
  warmup: number;
}

function cases(bench: BenchConfig): TfjsCase[] {
  const out: TfjsCase[] = [{ name: 'tiny', config: makeConfig('tiny'), repeats: Math.max(bench.repeats, 5), warmup: Math.max(bench.warmup, 2) }];
  if (bench.preset !== 'quick') {
    // makeConfig()'s defaults at B 1 (see bench/training.ts): a larger model, where launch overhead weighs less.
    out.push({ name: 'default', config: makeConfig(undefined, { train: { batchSize: 1 } }), repeats: 3, warmup: 1 });
  }
  return out;
}

async function benchCase(device: GPUDevice, c: TfjsCase, notes: string[], failures: string[]): Promise<BenchRow> {
  const { config } = c;
  const m = config.model;
  const dims = modelDims(m);
  const layout = paramLayout(m);
  const samples = microSamples(64, config.train.seed, m.frames, m.frameSize);
  const B = config.train.batchSize;
  const indices = new BatchOrder(samples.length, B, config.train.seed).next(); // the trainer's first (fixed) batch
  const batch = sftBatch(samples, indices, m);
  const init = initParams(layout, config.train.seed);

  const ours = await SftTrainer.create(device, config, { samples, init, fixedBatch: true, onWarning: () => {} });
  const tfm = new TfTransformer(
    { B, T: dims.maxT, C: dims.C, H: dims.H, L: m.layers, F: dims.F, V: dims.V, P: dims.patchDim, lnEps: m.lnEps },
    Object.fromEntries(tensorsFromFlat(layout, init).map((t) => [t.name, { shape: t.shape, data: Float32Array.from(t.data as Float32Array) }])),
    config.train,
    (step) => learningRate(step, config.train),
  );
  try {
    if (tfm.parameterCount !== layout.count) failures.push(`${c.name}: TF.js model has ${tfm.parameterCount} parameters, ours ${layout.count}`);
    tfm.setBatch({ tokens: batch.tokens, targets: batch.targets, weights: lossWeights(batch.targets, batch.targetCount), patches: batch.patches });

    // Same function: the loss at the same initial parameters on the same batch.
    ours.model.setBatch(batch);
    const oursLoss = (await ours.model.forward()).loss;
    const tfLoss = await tfm.evalLoss();
    const diff = Math.abs(oursLoss - tfLoss);
    const agree = diff <= 1e-3 + 1e-3 * Math.abs(tfLoss);
    if (!agree) failures.push(`${c.name}: initial loss ours ${oursLoss} vs TF.js ${tfLoss} (|diff| ${diff.toExponential(2)})`);
    log(`  ${c.name}: ${layout.count} params on both sides; initial loss ours ${oursLoss.toFixed(5)}, TF.js ${tfLoss.toFixed(5)}`);

    const tensorsBefore = tf.memory().numTensors;
    const timing = await timeInterleaved(
      {
        ours: asyncSampler(async () => void (await ours.trainStep())),
        tfjs: asyncSampler(async () => void (await tfm.step())),
      },
      { repeats: c.repeats, warmup: c.warmup },
    );
    const leaked = tf.memory().numTensors - tensorsBefore;
    // Both trained the same number of steps on the same batch: their losses should fall alike.
    const oursAfter = (await ours.model.forward()).loss;
    const tfAfter = await tfm.evalLoss();
    const steps = c.repeats + c.warmup;
    const row = withRatios({
      kernel: 'SFT step (fwd+CE+bwd+clip+Adam)',
      shape: `${c.name} C=${m.width} L=${m.layers} H=${m.heads} T=${m.contextLength} B=${B}`,
      params: { C: m.width, L: m.layers, H: m.heads, T: m.contextLength, B, V: m.vocabSize, params: layout.count },
      repeats: c.repeats,
      ours: side('ours (SftTrainer.trainStep, fixed batch)', timing.ours),
      baseline: side(`TensorFlow.js ${tf.version.tfjs} webgpu (variableGrads + clip + Adam, loss read back)`, timing.tfjs),
      target: TFJS_TARGET,
      agreement: { initialLoss: { ok: agree, n: 1, maxAbsErr: diff, maxRelErr: diff / Math.max(Math.abs(tfLoss), 1e-3), bad: agree ? 0 : 1, worstIndex: agree ? -1 : 0 } as never },
      agreementAgainst: 'TF.js loss at the same initial parameters and batch',
      note: `after ${steps} steps on the fixed batch: loss ours ${oursAfter.toFixed(4)}, TF.js ${tfAfter.toFixed(4)} (same lr schedule; AdamW decay 0.01 vs Adam)`,
    } satisfies BenchRow);
    // Adam creates its two moment variables per parameter on the first step; anything beyond is a leak.
    const moments = 2 * Object.keys(tfm.vars).length;
    if (leaked !== moments) notes.push(`${c.name}: TF.js tensor count grew by ${leaked} over warm-up + timed steps (Adam's moments account for ${moments})`);
    log(`  ${c.name}: ours ${timing.ours.wall.median.toFixed(1)} ms vs TF.js ${timing.tfjs.wall.median.toFixed(1)} ms → ${row.ratio?.toFixed(2)}x; ${row.note}`);
    return row;
  } finally {
    tfm.dispose();
  }
}

async function run(config: BenchConfig): Promise<SectionBody> {
  const section = await startSection();
  const { device, summary, result } = section;
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: the webgpu backend did not initialise');
  await tf.ready();
  const tfAdapter = adapterLabel((tf.backend() as unknown as { device?: GPUDevice & { adapterInfo?: GPUAdapterInfo } }).device);
  for (const c of cases(config)) {
    try {
      result.rows.push(await benchCase(device, c, result.notes, result.failures));
    } catch (e) {
      result.failures.push(`${c.name}: crashed: ${(e as Error).stack ?? e}`);
      log(`  ${c.name}: CRASHED: ${(e as Error).message}`);
    }
  }
  result.notes.push(
    `ratio = TF.js median / ours median, wall clock per SFT step (> 1: ours faster; target >= ${TFJS_TARGET}x). Ours: SftTrainer.trainStep = batch build + upload + one command buffer (forward, CE, backward, clip, AdamW) + metrics read-back. ` +
      'TF.js: tf.variableGrads(loss) + global-norm clip + Adam.applyGradients, then the loss read back (loss.data()). The two alternate step by step after warm-up.',
    `TF.js ${tf.version.tfjs} webgpu backend on its own GPUDevice (adapter: ${tfAdapter}); ours on our device (adapter: ${summary.vendor} ${summary.architecture} ${summary.description}).`,
    "The TF.js model is ours op for op (same tensors and shapes, GPT-2 tanh GELU, untied lm_head, frame patches projected into the residual stream), with plain causal attention over materialised (T, T) scores and Adam without weight decay.",
  );
  return finishSection(section);
}

window.p2rTfjsBench = { run };
logElement.textContent = 'ready';
