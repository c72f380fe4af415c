// The `jaxjs` benchmark page (bench/browser/jaxjs.html), run in headless Chromium by bench/jaxjs.ts
// (issue 15, "a second peer"): one SFT step of our trainer (SftTrainer on our own GPUDevice), of the
// same transformer in TensorFlow.js (bench/browser/tfjs_model.ts, webgpu backend) and in jax-js
// (bench/browser/jaxjs_model.ts, its webgpu device), all three from navigator.gpu's default adapter in
// one page, timed interleaved (ours, TF.js, jax-js, ours, …) so a load change on a shared machine
// hits all three alike. All three start from the same initial parameters (initParams) and train on
// the same fixed batch; their losses at those parameters must agree before anything is timed.
//
// Two rows per model size, sharing ours' timing: ours vs jax-js (target ≥ 1x) and ours vs TF.js
// (target ≥ 5x). A peer that does not start or crashes is a failure naming the peer and what it said;
// the other rows are still timed.

import * as jax from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { makeConfig, modelDims, type Config } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { lossWeights } from '../../src/model/reference';
import { tensorsFromFlat } from '../../src/train/checkpoint';
import { BatchOrder, sftBatch } from '../../src/train/data';
import { microSamples } from '../../src/train/samples';
import { learningRate } from '../../src/train/schedule';
import { SftTrainer } from '../../src/train/sft';
import type { BenchConfig } from '../config';
import { side, withRatios, type BenchRow, type SectionBody } from '../report';
import { agreement, type Agreement } from '../stats';
import { asyncSampler, timeInterleaved, type Sampler } from '../timing';
import { JaxTransformer } from './jaxjs_model';
import { adapterLabel, finishSection, log, logElement, startSection } from './section';
import { TfTransformer } from './tfjs_model';

declare global {
  interface Window {
    p2rJaxjsBench?: { run(config: BenchConfig): Promise<SectionBody> };
  }
}

/** Issue 15: our SFT step at least as fast as jax-js's, and ≥ 5x TF.js's. */
export const JAXJS_TARGET = 1;
export const TFJS_TARGET_ISSUE15 = 5;

interface PeerCase {
  name: string;
  config: Config;
  repeats: number;
  warmup: number;
}

function cases(bench: BenchConfig): PeerCase[] {
  // Warm-up ≥ 2: jax-js compiles its jit step (tracing + WGSL pipelines) on the first call.
  const out: PeerCase[] = [{ name: 'tiny', config: makeConfig('tiny'), repeats: Math.max(bench.repeats, 5), warmup: Math.max(bench.warmup, 2) }];
  if (bench.preset !== 'quick') {
    // makeConfig()'s defaults at B 1, as the tfjs section: a larger model, where launch overhead weighs less.
    // --repeats applies here too (at least 3): its steps are seconds each, and 3 medians are noisy under load.
    out.push({ name: 'default', config: makeConfig(undefined, { train: { batchSize: 1 } }), repeats: Math.max(bench.repeats, 3), warmup: 2 });
  }
  return out;
}

/** Float32 losses of the same function on three implementations: |a − b| ≤ 1e-3 + 1e-3·|b|. */
const LOSS_TOL = { atol: 1e-3, rtol: 1e-3 };

function lossAgreement(ours: number, peer: number): Agreement {
  return agreement([ours], [peer], LOSS_TOL);
}

/** A peer's model and step, or why it is not timed. */
interface Peer {
  label: string;
  initialLoss?: number;
  sampler?: Sampler;
  finalLoss?: () => Promise<number>;
  dispose(): void;
  /** Set when the peer did not build, did not agree, or crashed. */
  problem?: string;
}

async function benchCase(device: GPUDevice, c: PeerCase, jaxReady: boolean, notes: string[], failures: string[]): Promise<BenchRow[]> {
  const { config } = c;
  const m = config.model;
  const dims = modelDims(m);
  const layout = paramLayout(m);
  const samples = microSamples(64, config.train.seed, m.frames, m.frameSize);
  const B = config.train.batchSize;
  const indices = new BatchOrder(samples.length, B, config.train.seed).next(); // the trainer's first (fixed) batch
  const batch = sftBatch(samples, indices, m);
  const init = initParams(layout, config.train.seed);
  const tensors = tensorsFromFlat(layout, init);
  const decay = new Map(layout.tensors.map((t) => [t.name, t.decay]));
  const modelDimsFor = { B, T: dims.maxT, C: dims.C, H: dims.H, L: m.layers, F: dims.F, V: dims.V, P: dims.patchDim, lnEps: m.lnEps };
  const peerBatch = { tokens: batch.tokens, targets: batch.targets, weights: lossWeights(batch.targets, batch.targetCount), patches: batch.patches };
  const schedule = (step: number) => learningRate(step, config.train);
  const shape = `${c.name} C=${m.width} L=${m.layers} H=${m.heads} T=${dims.maxT} B=${B} V=${dims.V}`;
  const fail = (what: string) => {
    failures.push(`${c.name}: ${what}`);
    log(`  ${c.name}: ${what}`);
  };

  const ours = await SftTrainer.create(device, config, { samples, init, fixedBatch: true, onWarning: () => {} });
  ours.model.setBatch(batch);
  const oursLoss = (await ours.model.forward()).loss;

  // TF.js: the tfjs section's model, unchanged.
  const tfPeer: Peer = { label: `TensorFlow.js ${tf.version.tfjs} webgpu (variableGrads + clip + Adam, loss read back)`, dispose: () => {} };
  try {
    const tfm = new TfTransformer(
      modelDimsFor,
      Object.fromEntries(tensors.map((t) => [t.name, { shape: t.shape, data: Float32Array.from(t.data as Float32Array) }])),
      config.train,
      schedule,
    );
    tfPeer.dispose = () => tfm.dispose();
    if (tfm.parameterCount !== layout.count) tfPeer.problem = `TF.js model has ${tfm.parameterCount} parameters, ours ${layout.count}`;
    tfm.setBatch(peerBatch);
    tfPeer.initialLoss = await tfm.evalLoss();
    tfPeer.sampler = asyncSampler(async () => void (await tfm.step()));
    tfPeer.finalLoss = () => tfm.evalLoss();
  } catch (e) {
    tfPeer.problem = `TF.js crashed while building: ${(e as Error).stack ?? e}`;
  }

  // jax-js: one jit-compiled step; the learning rate follows our schedule, step by step.
  const jaxPeer: Peer = { label: 'jax-js @jax-js/jax webgpu (jit(valueAndGrad + clip + AdamW), loss read back)', dispose: () => {} };
  if (!jaxReady) jaxPeer.problem = 'jax-js: its webgpu device did not start (see the notes)';
  else {
    try {
      const jm = new JaxTransformer(
        modelDimsFor,
        Object.fromEntries(tensors.map((t) => [t.name, { shape: t.shape, data: Float32Array.from(t.data as Float32Array), decay: decay.get(t.name)! }])),
        config.train,
        'webgpu',
      );
      jaxPeer.dispose = () => jm.dispose();
      if (jm.parameterCount !== layout.count) jaxPeer.problem = `jax-js model has ${jm.parameterCount} parameters, ours ${layout.count}`;
      jm.setBatch(peerBatch);
      jaxPeer.initialLoss = await jm.evalLoss();
      let updates = 0;
      jaxPeer.sampler = asyncSampler(async () => void (await jm.step(schedule(updates++))));
      jaxPeer.finalLoss = () => jm.evalLoss();
    } catch (e) {
      jaxPeer.problem = `jax-js crashed while building or evaluating the loss: ${(e as Error).stack ?? e}`;
    }
  }

  try {
    const lnV = Math.log(dims.V);
    const peers = { tfjs: tfPeer, jaxjs: jaxPeer };
    const agreements: Record<string, Agreement> = {};
    for (const [key, peer] of Object.entries(peers)) {
      if (peer.initialLoss === undefined) continue;
      agreements[key] = lossAgreement(oursLoss, peer.initialLoss);
      if (!agreements[key].ok) peer.problem ??= `initial loss ours ${oursLoss} vs ${key} ${peer.initialLoss} (|diff| ${agreements[key].maxAbsErr.toExponential(2)})`;
    }
    log(
      `  ${c.name}: ${layout.count} params; initial loss ours ${oursLoss.toFixed(5)}, TF.js ${tfPeer.initialLoss?.toFixed(5) ?? '-'}, jax-js ${jaxPeer.initialLoss?.toFixed(5) ?? '-'} (ln V = ${lnV.toFixed(5)})`,
    );
    for (const peer of Object.values(peers)) if (peer.problem) fail(peer.problem);

    // A peer whose first step throws is dropped from the timing (and reported); the others go on.
    const samplers: Record<string, Sampler> = { ours: asyncSampler(async () => void (await ours.trainStep())) };
    for (const [key, peer] of Object.entries(peers)) {
      if (peer.problem || !peer.sampler) continue;
      try {
        await peer.sampler();
        samplers[key] = peer.sampler;
      } catch (e) {
        peer.problem = `${key} crashed in its first training step: ${(e as Error).stack ?? e}`;
        fail(peer.problem);
      }
    }
    await ours.trainStep(); // the same number of steps on every side before the timed loop
    const timing = await timeInterleaved(samplers, { repeats: c.repeats, warmup: c.warmup - 1 });
    const steps = c.repeats + c.warmup;
    const oursAfter = (await ours.model.forward()).loss;
    const after: Record<string, number | undefined> = {};
    for (const [key, peer] of Object.entries(peers)) if (samplers[key] && peer.finalLoss) after[key] = await peer.finalLoss();
    const afterNote = `after ${steps} steps on the fixed batch: loss ours ${oursAfter.toFixed(4)}, TF.js ${after.tfjs?.toFixed(4) ?? '-'}, jax-js ${after.jaxjs?.toFixed(4) ?? '-'}`;
    log(`  ${c.name}: ${afterNote}`);

    const rows: BenchRow[] = [];
    const params = { C: m.width, L: m.layers, H: m.heads, T: dims.maxT, B, V: dims.V, params: layout.count };
    const oursSide = side('ours (SftTrainer.trainStep, fixed batch)', timing.ours);
    const rowFor = (key: 'jaxjs' | 'tfjs', target: number): BenchRow => {
      const peer = peers[key];
      const row: BenchRow = {
        kernel: `SFT step vs ${key === 'jaxjs' ? 'jax-js' : 'TF.js'}`,
        shape,
        params,
        repeats: c.repeats,
        ours: oursSide,
        target,
        note: `initial loss ours ${oursLoss.toFixed(5)}, ${key} ${peer.initialLoss?.toFixed(5) ?? '-'} (ln V ${lnV.toFixed(4)}); ${afterNote}`,
      };
      if (agreements[key]) {
        row.agreement = { initialLoss: agreements[key] };
        row.agreementAgainst = `${key} loss at the same initial parameters and batch`;
      }
      if (timing[key]) {
        row.baseline = side(peer.label, timing[key]);
        withRatios(row);
        log(`  ${c.name}: ours ${timing.ours.wall.median.toFixed(1)} ms vs ${key} ${timing[key].wall.median.toFixed(1)} ms → ${row.ratio?.toFixed(2)}x (target ≥ ${target}x)`);
      } else {
        row.skipped = `not timed: ${peer.problem ?? 'no sampler'}`.slice(0, 400);
      }
      return row;
    };
    rows.push(rowFor('jaxjs', JAXJS_TARGET), rowFor('tfjs', TFJS_TARGET_ISSUE15));
    if (timing.jaxjs && timing.tfjs) notes.push(`${c.name}: jax-js / TF.js step time ${(timing.jaxjs.wall.median / timing.tfjs.wall.median).toFixed(2)} (< 1: jax-js faster than TF.js)`);
    return rows;
  } finally {
    tfPeer.dispose();
    jaxPeer.dispose();
  }
}

/** Starts jax-js's webgpu device; returns its adapter label, or why it did not start. */
async function startJax(): Promise<{ ok: boolean; label: string }> {
  try {
    const devices = await jax.init('webgpu');
    if (!devices.includes('webgpu')) return { ok: false, label: `jax.init('webgpu') returned [${devices.join(', ')}] (no webgpu device; its console error says why)` };
    jax.defaultDevice('webgpu');
    return { ok: true, label: adapterLabel(jax.getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo }) };
  } catch (e) {
    return { ok: false, label: `jax.init('webgpu') threw: ${(e as Error).stack ?? e}` };
  }
}

/** The installed version of a package, from its package.json as the dev server serves it. */
async function installedVersion(name: string): Promise<string> {
  try {
    const response = await fetch(`/node_modules/${name}/package.json`);
    return response.ok ? String(((await response.json()) as { version?: string }).version ?? 'unknown') : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function run(config: BenchConfig): Promise<SectionBody> {
  const section = await startSection();
  const { device, summary, result } = section;
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: the webgpu backend did not initialise');
  await tf.ready();
  const tfAdapter = adapterLabel((tf.backend() as unknown as { device?: GPUDevice & { adapterInfo?: GPUAdapterInfo } }).device);
  const jaxVersion = await installedVersion('@jax-js/jax');
  const jaxStart = await startJax();
  if (!jaxStart.ok) result.failures.push(`jax-js: ${jaxStart.label}`);
  log(`jax-js webgpu: ${jaxStart.ok ? `started (adapter: ${jaxStart.label})` : jaxStart.label}`);
  for (const c of cases(config)) {
    try {
      result.rows.push(...(await benchCase(device, c, jaxStart.ok, result.notes, result.failures)));
    } catch (e) {
      result.failures.push(`${c.name}: crashed: ${(e as Error).stack ?? e}`);
      log(`  ${c.name}: CRASHED: ${(e as Error).message}`);
    }
  }
  result.notes.push(
    `ratio = peer median / ours median, wall clock per SFT step (> 1: ours faster; targets: >= ${JAXJS_TARGET}x jax-js, >= ${TFJS_TARGET_ISSUE15}x TF.js). ` +
      'Both rows of a model size share ours\' timing: ours, TF.js and jax-js alternate step by step after warm-up, on one page. ' +
      'Ours: SftTrainer.trainStep = batch build + upload + one command buffer (forward, CE, backward, clip, AdamW) + metrics read-back. ' +
      'TF.js: tf.variableGrads + global-norm clip + Adam (no weight decay), loss read back. ' +
      'jax-js: one jit-compiled function (valueAndGrad of the loss, global-norm clip, AdamW with decoupled decay, as ours), then the loss read back (its copy is queued after all kernels of the step, which one jit call submits together).',
    `jax-js ${jaxVersion} on its own GPUDevice (adapter: ${jaxStart.ok ? jaxStart.label : 'not started'}); TF.js ${tf.version.tfjs} on its own (adapter: ${tfAdapter}); ours on our device (adapter: ${summary.vendor} ${summary.architecture} ${summary.description}).`,
    'The jax-js and TF.js models are ours op for op (same tensors and shapes, GPT-2 tanh GELU, untied lm_head, frame patches projected into the residual stream), with causal attention over materialised (T, T) scores (jax-js: nn.dotProductAttention with isCausal). ' +
      'tests/pure/bench_jaxjs_model.test.ts checks the jax-js step against our float64 reference SFT run on jax-js\'s wasm device.',
  );
  return finishSection(section);
}

window.p2rJaxjsBench = { run };
logElement.textContent = 'ready';
