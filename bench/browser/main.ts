// The benchmark page (bench/browser/index.html), run in headless Chromium by bench/browser/run.ts:
// our matmul and attention FORWARD against onnxruntime-web's WebGPU execution provider on the same
// shapes and the same adapter. Ours runs on our own device (acquireDevice); ORT on the device it
// creates itself, with inputs and outputs kept in GPU buffers on that device, so neither side reads
// back while timed. Each side is run once and compared before timing.

import * as ort from 'onnxruntime-web/webgpu';
import { USAGE, readF32 } from '../../src/gpu/buffers';
import { Attention, ATTENTION_HEAD_DIMS } from '../../src/gpu/kernels/attention';
import { Matmul } from '../../src/gpu/kernels/matmul';
import { QUICK, attentionLabel, attentionRepeats, matmulLabel, type BenchConfig, type MatmulShape } from '../config';
import {
  ATTENTION_FORWARD_TOL,
  ATTENTION_TARGET,
  ATTENTION_TARGET_MIN_T,
  attentionForwardFlops,
  attentionInputs,
  attentionOutputs,
  attentionPhases,
  readAttention,
  uploadAttentionInputs,
} from '../cases/attention';
import { MATMUL_TOL, bindOurMatmul, matmulFlops, matmulInputs, spotCheckMatmul, uploadMatmulInputs } from '../cases/matmul';
import { side, withRatios, type BenchRow, type SectionBody } from '../report';
import { agreement, formatMs, formatRatio } from '../stats';
import { asyncSampler, dispatchSampler, timeInterleaved, type Sampler } from '../timing';
import { attentionModel, matmulModel, mergeHeads, splitQkv } from './onnx_graphs';
import { adapterLabel, finishSection, log, logElement, startSection } from './section';

declare global {
  interface Window {
    p2rBench?: { run(config: BenchConfig): Promise<SectionBody> };
  }
}

// ORT loads its wasm glue from here (the dev server serves node_modules); one thread, since the page
// is not cross-origin isolated (no SharedArrayBuffer).
ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** A GPU buffer on ORT's device with `data` (or zeros of `length` floats). */
function ortBuffer(device: GPUDevice, label: string, data: Float32Array | number): GPUBuffer {
  const length = typeof data === 'number' ? data : data.length;
  const buffer = device.createBuffer({ label, size: length * 4, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
  if (typeof data !== 'number') device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

interface OrtCase {
  sampler: Sampler;
  /** Reads the output once (after a run). */
  read(): Promise<Float32Array>;
  release(): Promise<void>;
  note?: string;
}

/**
 * An ORT session over `model` whose inputs are GPU buffers and whose output is written into a
 * pre-allocated GPU buffer (fetches), timed as session.run → onSubmittedWorkDone.
 */
async function ortCase(model: Uint8Array, inputs: Record<string, { data: Float32Array; dims: number[] }>, output: { name: string; dims: number[] }): Promise<OrtCase> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
    graphOptimizationLevel: 'all',
  });
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const buffers: GPUBuffer[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, { data, dims }] of Object.entries(inputs)) {
    const buffer = ortBuffer(device, `ort.${name}`, data);
    buffers.push(buffer);
    feeds[name] = ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
  }
  const outLength = output.dims.reduce((a, b) => a * b, 1);
  const outBuffer = ortBuffer(device, `ort.${output.name}`, outLength);
  buffers.push(outBuffer);
  const fetches = { [output.name]: ort.Tensor.fromGpuBuffer(outBuffer, { dataType: 'float32', dims: output.dims }) };
  const release = async () => {
    await session.release();
    for (const b of buffers) b.destroy();
  };

  // Preferred: ORT writes into our pre-allocated output buffer. If this build refuses fetches, fall
  // back to ORT allocating its output (on the GPU) each run and disposing it.
  try {
    await session.run(feeds, fetches);
    await device.queue.onSubmittedWorkDone();
    return {
      sampler: asyncSampler(async () => {
        await session.run(feeds, fetches);
        await device.queue.onSubmittedWorkDone();
      }),
      read: () => readF32(device, outBuffer, outLength),
      release,
    };
  } catch (e) {
    let last: ort.Tensor | undefined;
    return {
      note: `ORT refused a pre-allocated output (${(e as Error).message}); its output is allocated per run on the GPU`,
      sampler: asyncSampler(async () => {
        last?.dispose();
        last = (await session.run(feeds))[output.name];
        await device.queue.onSubmittedWorkDone();
      }),
      read: async () => {
        if (!last) last = (await session.run(feeds))[output.name];
        return (await last.getData()) as Float32Array;
      },
      release: async () => {
        last?.dispose();
        await release();
      },
    };
  }
}

async function matmulRow(device: GPUDevice, kernel: Matmul, shape: MatmulShape, config: BenchConfig, notes: Set<string>): Promise<BenchRow> {
  const inputs = matmulInputs(shape, config.seed);
  const buffers = uploadMatmulInputs(device, inputs);
  const ours = bindOurMatmul(device, kernel, buffers, shape);
  const oursSampler = dispatchSampler(device, 'bench.matmul.ours', [{ name: 'matmul', dispatches: [ours.dispatch] }]);
  const ortSide = await ortCase(
    matmulModel(shape),
    { a: { data: inputs.a, dims: [shape.m, shape.k] }, b: { data: inputs.b, dims: [shape.k, shape.n] } },
    { name: 'c', dims: [shape.m, shape.n] },
  );
  if (ortSide.note) notes.add(ortSide.note);
  const row: BenchRow = { kernel: 'matmul', shape: matmulLabel(shape), params: { ...shape }, repeats: config.repeats };
  try {
    await oursSampler.sample();
    await ortSide.sampler();
    const got = await readF32(device, ours.c, shape.m * shape.n);
    row.agreement = { c: agreement(got, await ortSide.read(), MATMUL_TOL), 'c (64 elements vs float64)': spotCheckMatmul(got, inputs, shape) };
    row.agreementAgainst = 'onnxruntime-web (and a float64 spot check)';
    if (!Object.values(row.agreement).every((a) => a.ok)) {
      row.skipped = 'not timed: ours disagrees with onnxruntime-web or the float64 spot check';
      return row;
    }
    const t = await timeInterleaved({ ours: oursSampler.sample, ort: ortSide.sampler }, { repeats: config.repeats, warmup: config.warmup });
    row.ours = side('ours (Matmul, tiled)', t.ours, matmulFlops(shape));
    row.baseline = side('onnxruntime-web webgpu MatMul', t.ort, matmulFlops(shape));
    return withRatios(row);
  } finally {
    oursSampler.destroy();
    buffers.destroy();
    ours.c.destroy();
    await ortSide.release();
  }
}

async function attentionRow(device: GPUDevice, kernel: Attention, s: { B: number; T: number; H: number; D: number }, config: BenchConfig, notes: Set<string>): Promise<BenchRow> {
  const repeats = attentionRepeats(config, s.T);
  const inputs = attentionInputs(s, config.seed);
  const buffers = uploadAttentionInputs(device, inputs);
  const outputs = attentionOutputs(device, 'bench.attention.ours', s);
  const oursSampler = dispatchSampler(device, 'bench.attention.ours', attentionPhases(kernel, 'bench.Attention', buffers, outputs, s, false));
  const { q, k, v } = splitQkv(inputs.qkv, s);
  const dims = [s.B * s.H, s.T, s.D];
  const ortSide = await ortCase(attentionModel(s), { q: { data: q, dims }, k: { data: k, dims }, v: { data: v, dims } }, { name: 'o', dims });
  if (ortSide.note) notes.add(ortSide.note);
  const row: BenchRow = {
    kernel: 'attention fwd',
    shape: attentionLabel(s),
    params: { ...s },
    repeats,
    target: s.T >= ATTENTION_TARGET_MIN_T ? ATTENTION_TARGET : undefined,
  };
  try {
    await oursSampler.sample();
    await ortSide.sampler();
    const got = await readAttention(device, outputs, s, false);
    row.agreement = { out: agreement(got.out, mergeHeads(await ortSide.read(), s), ATTENTION_FORWARD_TOL) };
    row.agreementAgainst = 'onnxruntime-web';
    if (!row.agreement.out.ok) {
      row.skipped = 'not timed: ours disagrees with onnxruntime-web';
      return row;
    }
    const t = await timeInterleaved({ ours: oursSampler.sample, ort: ortSide.sampler }, { repeats, warmup: config.warmup });
    row.ours = side('ours (Attention.forward, flash-style)', t.ours, attentionForwardFlops(s));
    row.baseline = side('onnxruntime-web webgpu (Transpose, MatMul, Mul, Add, Softmax, MatMul)', t.ort, attentionForwardFlops(s));
    return withRatios(row);
  } finally {
    oursSampler.destroy();
    buffers.destroy();
    outputs.destroy();
    await ortSide.release();
  }
}

async function run(config: BenchConfig): Promise<SectionBody> {
  const section = await startSection();
  const { device, summary, result } = section;
  const notes = new Set<string>();
  const headDims = config.attention.D.filter((D) => (ATTENTION_HEAD_DIMS as readonly number[]).includes(D));
  const [attention, matmul] = await Promise.all([Attention.create(device, headDims), Matmul.create(device)]);

  const track = async (name: string, body: () => Promise<BenchRow>) => {
    const t0 = performance.now();
    try {
      const row = await body();
      result.rows.push(row);
      if (row.skipped) result.failures.push(`${row.kernel} ${row.shape}: ${row.skipped}`);
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      log(row.skipped ? `  ${name}: ${row.skipped}` : `  ${name}: ours ${formatMs(row.ours?.wall.median)} ms vs ORT ${formatMs(row.baseline?.wall.median)} ms → ${formatRatio(row.ratio)} (${seconds} s)`);
    } catch (e) {
      result.failures.push(`${name}: crashed: ${(e as Error).stack ?? e}`);
      log(`  ${name}: CRASHED: ${(e as Error).message}`);
    }
  };

  const { B, H } = config.attention;
  for (const T of config.attention.T) {
    for (const D of headDims) {
      const s = { B, T, H, D };
      await track(`attention fwd ${attentionLabel(s)}`, () => attentionRow(device, attention, s, config, notes));
    }
  }
  for (const shape of config.matmul) await track(`matmul ${matmulLabel(shape)}`, () => matmulRow(device, matmul, shape, config, notes));

  // Which adapter ORT's own device is on (it should be the same one).
  const ortAdapter = adapterLabel((await ort.env.webgpu.device) as GPUDevice & { adapterInfo?: GPUAdapterInfo });
  result.notes.push(
    `onnxruntime-web ${ort.env.versions?.web ?? ''} webgpu EP on its own GPUDevice (adapter: ${ortAdapter}); ours on our device (adapter: ${summary.vendor} ${summary.architecture}). ` +
      'ORT is timed by wall clock as session.run → onSubmittedWorkDone with GPU-resident inputs and output; ours by wall clock too (encode → submit → done), so ratios are wall/wall.',
    "ORT's attention gets Q, K, V already split into (B·H, T, D) (the split of our packed qkv is done once on the CPU, untimed); ours reads the packed (B*T, 3C) qkv.",
    'Chrome rounds timestamp queries to 100 µs; the gpu figures of ours are kept in the JSON but the ratio is wall/wall.',
    ...notes,
  );
  if (attentionRepeats(config, Math.max(...config.attention.T)) !== config.repeats) {
    result.notes.push(`attention at T >= ${config.longT} uses ${config.longRepeats} repeats (others ${config.repeats})`);
  }
  return finishSection(section);
}

window.p2rBench = { run };
logElement.textContent = 'ready';
// Opened by hand with ?run: a quick run, printed on the page.
if (new URLSearchParams(location.search).has('run')) {
  run({ ...QUICK }).then((r) => log(JSON.stringify(r, null, 2)), (e) => log(`failed: ${(e as Error).stack ?? e}`));
}
