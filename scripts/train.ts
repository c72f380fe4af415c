// `npm run train -- --preset tiny --steps N [--mode sft]`: the training engine in Node on Dawn
// (SwiftShader without a GPU), the same code the browser worker runs.
//
// The engine imports its WGSL through Vite's `?raw` suffix, which tsx does not understand. So this
// file, started by tsx, only parses arguments and starts a Vite dev server in middleware mode, then
// loads itself again through Vite's SSR module loader (createServer + ssrLoadModule), where `?raw`
// works, and calls main() there (scripts/vite-node.ts). Every engine import is dynamic, inside main().
//
// Options:
//   --preset tiny|demo   config preset (default tiny)
//   --steps N            optimiser steps (default: the preset's for SFT, src/train/rl_defaults.ts for RL)
//   --mode sft|pa-grpo|grpo|<ablation>   SFT (default), or RL under a reward preset of src/rewards/config.ts:
//                        pa-grpo, grpo, without-rr, without-rp, without-rl, without-separation,
//                        without-separation-sum-rewards. RL starts from --resume DIR (an SFT checkpoint;
//                        the frozen reference is the same weights) or, without it, from scratch (RL-only)
//   --seed S --lr X --batch B     overrides of the preset's train config
//   --data synthetic|micro        synthetic (default): the built-in synthetic dataset's videos (src/data's
//                                 generator, seed 1, 5 questions per video), compact questions for tiny
//                                 and full ones for demo; micro: the moving-square fixture of the golden test
//   --style compact|full --difficulty easy|medium|hard   synthetic: override the preset's style / difficulty
//   --data-seed S        synthetic: the generator's seed (default 1, the built-in dataset's)
//   --samples N          dataset size (synthetic: videos; micro: samples). Default: the preset's (tiny
//                        2000 videos, demo 200, test 40; src/train/rl_data.ts PRESET_VIDEOS) / 64
//   --eval-every K       SFT: evaluate on held-out questions every K steps and at the end (default:
//                        about 6 times a run for tiny, never for the others; 0: never)
//   --eval-questions N   questions of those evaluations (default 60; `npm run eval` for the full one)
//   --log-every K        print every K steps (default: about 20 lines per run)
//   --out DIR            write DIR/model.safetensors + DIR/model.json at the end (src/train/checkpoint.ts)
//   --resume DIR         continue from DIR's checkpoint (same preset and overrides) up to --steps
//   --frame-encoder patch|onnx   'onnx' encodes the frames with a frozen ONNX vision model
//                        (onnxruntime-web, wasm provider) and trains only a projection of its features
//   --encoder PATH.onnx  the encoder for --frame-encoder onnx (default public/models/tiny-frame-encoder.onnx)
// RL options (src/train/rl.ts; defaults per preset in src/train/rl_defaults.ts, tiny: G 8, P 2,
// temperature 1, top-p 1, β 0.1, lr 5e-4):
//   --group G  --prompts P per step  --updates U per batch (default 1)
//   --temperature X  --top-p X  --max-new-tokens N (default: the room left in the context)
//   --beta X  --clip EPS (0.2)  --lr X
//   --len-p MIN:MAX --len-r MIN:MAX   length-reward targets in tokens (default 128:320 and 320:512, the
//                        paper's; a tiny context never reaches them)
//   --reference DIR      reference weights when --resume is an RL checkpoint (default: --resume's weights)
//   --judge rules|checklist|self-answer   perception judge (default rules: every scene fact stated;
//                        checklist: the fraction stated; self-answer: the policy answers from its own
//                        observation with no frames, and that answer's accuracy is the reward)
//   --rollouts-out FILE.jsonl   every rollout, one canonical Rollout record per line (the inspector's
//                        "our own export" format: import the file on the Rollouts page)
//   --run-id ID          run id of those records (default cli-<mode>-seed<seed>)
//
// Faults (README "Faults"): --out, --resume, --reference and --rollouts-out are checked before any
// training (exit 2, the message names the file). The checkpoint's two files are written to temporary
// names and renamed only when both are complete, so a failed write or a kill leaves DIR's previous
// checkpoint whole; a failed write also saves the new checkpoint under the system's temporary folder
// and says where. SIGINT/SIGTERM stop after the step in progress, write --out and exit 130/143 (resume
// with --resume DIR); a second signal ends at once. A log that could not be written (stdout on a full
// disk) exits 2.

import { checkCheckpointFolder, checkOutputFolder, IoError, OutputFile, readInputFile, rescueCopy, stopRequests, watchStdout, writeFilesAtomic } from './cli_io';
import { runSelfUnderVite } from './vite-node';

/** Kept in step with src/train/rl.ts RL_MODES (that module imports WGSL, so tsx cannot load it here). */
const RL_MODES = ['pa-grpo', 'grpo', 'without-rr', 'without-rp', 'without-rl', 'without-separation', 'without-separation-sum-rewards'] as const;

export interface TrainArgs {
  preset: 'tiny' | 'demo' | 'test';
  steps?: number;
  evalEvery?: number;
  evalQuestions?: number;
  mode: string;
  seed?: number;
  lr?: number;
  batch?: number;
  data?: 'micro' | 'synthetic';
  style?: 'compact' | 'full';
  difficulty?: 'easy' | 'medium' | 'hard';
  dataSeed?: number;
  samples?: number;
  logEvery?: number;
  out?: string;
  resume?: string;
  frameEncoder?: 'patch' | 'onnx';
  encoder?: string;
  group?: number;
  prompts?: number;
  updates?: number;
  temperature?: number;
  topP?: number;
  maxNewTokens?: number;
  beta?: number;
  clip?: number;
  lenP?: { min: number; max: number };
  lenR?: { min: number; max: number };
  reference?: string;
  rolloutsOut?: string;
  runId?: string;
  judge?: string;
}

function parseArgs(argv: string[]): TrainArgs {
  const args: TrainArgs = { preset: 'tiny', mode: 'sft' };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`${flag} needs a number (got ${v})`);
    return n;
  };
  const range = (flag: string, v: string | undefined) => {
    const m = /^(\d+):(\d+)$/.exec(v ?? '');
    if (!m) throw new Error(`${flag} needs MIN:MAX (got ${v})`);
    return { min: Number(m[1]), max: Number(m[2]) };
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--preset':
        if (value !== 'tiny' && value !== 'demo' && value !== 'test') throw new Error(`--preset: 'tiny', 'demo' or 'test' (got ${value})`);
        args.preset = value;
        break;
      case '--steps': args.steps = num(flag, value); break;
      case '--mode': args.mode = value ?? ''; break;
      case '--seed': args.seed = num(flag, value); break;
      case '--lr': args.lr = num(flag, value); break;
      case '--batch': args.batch = num(flag, value); break;
      case '--samples': args.samples = num(flag, value); break;
      case '--eval-every': args.evalEvery = num(flag, value); break;
      case '--eval-questions': args.evalQuestions = num(flag, value); break;
      case '--log-every': args.logEvery = num(flag, value); break;
      case '--data':
        if (value !== 'micro' && value !== 'synthetic') throw new Error(`--data: 'micro' or 'synthetic' (got ${value})`);
        args.data = value;
        break;
      case '--style':
        if (value !== 'compact' && value !== 'full') throw new Error(`--style: 'compact' or 'full' (got ${value})`);
        args.style = value;
        break;
      case '--difficulty':
        if (value !== 'easy' && value !== 'medium' && value !== 'hard') throw new Error(`--difficulty: 'easy', 'medium' or 'hard' (got ${value})`);
        args.difficulty = value;
        break;
      case '--data-seed': args.dataSeed = num(flag, value); break;
      case '--out': args.out = value; break;
      case '--resume': args.resume = value; break;
      case '--frame-encoder':
        if (value !== 'patch' && value !== 'onnx') throw new Error(`--frame-encoder: 'patch' or 'onnx' (got ${value})`);
        args.frameEncoder = value;
        break;
      case '--encoder': args.encoder = value; break;
      case '--group': args.group = num(flag, value); break;
      case '--prompts': args.prompts = num(flag, value); break;
      case '--updates': args.updates = num(flag, value); break;
      case '--temperature': args.temperature = num(flag, value); break;
      case '--top-p': args.topP = num(flag, value); break;
      case '--max-new-tokens': args.maxNewTokens = num(flag, value); break;
      case '--beta': args.beta = num(flag, value); break;
      case '--clip': args.clip = num(flag, value); break;
      case '--len-p': args.lenP = range(flag, value); break;
      case '--len-r': args.lenR = range(flag, value); break;
      case '--reference': args.reference = value; break;
      case '--rollouts-out': args.rolloutsOut = value; break;
      case '--run-id': args.runId = value; break;
      case '--judge':
        if (value !== 'rules' && value !== 'checklist' && value !== 'self-answer') throw new Error(`--judge: expected rules, checklist or self-answer (got ${value})`);
        args.judge = value;
        break;
      default:
        throw new Error(`unknown option ${flag} (see the header of scripts/train.ts)`);
    }
    i++;
  }
  if (args.mode !== 'sft' && !(RL_MODES as readonly string[]).includes(args.mode)) throw new Error(`--mode ${args.mode}: expected sft or one of ${RL_MODES.join(', ')}`);
  checkPaths(args);
  return args;
}

/** Every path, before Vite, the data and the GPU start: a bad one costs no training. */
function checkPaths(args: TrainArgs): void {
  if (args.resume) checkCheckpointFolder(args.resume, '--resume');
  if (args.reference) checkCheckpointFolder(args.reference, '--reference');
  if (args.frameEncoder === 'onnx') readInputFile(args.encoder ?? 'public/models/tiny-frame-encoder.onnx', '--encoder');
  if (args.out) checkOutputFolder(args.out, '--out');
  if (args.rolloutsOut) new OutputFile(args.rolloutsOut, '--rollouts-out', 'rollouts.jsonl').abort(); // opened, so checked, then let go
}

export async function main(args: TrainArgs): Promise<void> {
  if (args.mode !== 'sft') return mainRl(args);
  const stdout = watchStdout('stdout (the training log)');
  const { makeConfig } = await import('../src/model/config');
  const { nodeGpu } = await import('../src/gpu/node-gpu');
  const { acquireDevice } = await import('../src/gpu/device');
  const { SftTrainer } = await import('../src/train/sft');
  const { microSamples } = await import('../src/train/samples');
  const { syntheticSftSamples, PRESET_VIDEOS, PRESET_SYNTHETIC } = await import('../src/train/rl_data');
  const { evaluateHeldOut, heldOutPrompts, EVAL_ROWS } = await import('../src/train/heldout');
  const { formatReport } = await import('../src/train/heldout_format');
  const { GpuModel } = await import('../src/model/model');
  const { Decoder } = await import('../src/model/generate');

  const base = makeConfig(args.preset);
  const { encoder, encoderModel } = await loadFrameEncoder(args, base.model.frameSize);
  const config = makeConfig(args.preset, {
    model: encoderModel,
    train: {
      ...(args.steps !== undefined && { steps: args.steps }),
      ...(args.seed !== undefined && { seed: args.seed }),
      ...(args.lr !== undefined && { lr: args.lr }),
      ...(args.batch !== undefined && { batchSize: args.batch }),
      // A shorter run than the preset's keeps the preset's warmup unless it would not fit.
      warmupSteps: Math.min(base.train.warmupSteps, Math.max(1, Math.floor((args.steps ?? base.train.steps) / 10))),
    },
  });
  const { model, train } = config;
  const data = args.data ?? 'synthetic';
  const samples =
    data === 'micro'
      ? microSamples(args.samples ?? 64, train.seed, model.frames, model.frameSize)
      : await syntheticSource(args).then(({ seed, spec }) => syntheticSftSamples(args.samples ?? PRESET_VIDEOS[args.preset], seed, spec));
  if (encoder) await encodeAllFrames(encoder, samples, model);
  // Held-out questions: videos of a generator seed training never uses, the preset's task families.
  const evalEvery = args.evalEvery ?? (args.preset === 'tiny' && data === 'synthetic' && !encoder ? Math.max(1, Math.round(train.steps / 6)) : 0);
  const evalPrompts = evalEvery > 0 ? heldOutPrompts(args.evalQuestions ?? 60, { ...PRESET_SYNTHETIC[args.preset], ...(args.style && { style: args.style }), ...(args.difficulty && { difficulty: args.difficulty }) }) : [];

  const errors: string[] = [];
  const ctx = await acquireDevice({ gpu: await nodeGpu(), onError: (e) => errors.push(`${e.code}: ${e.message}`) });
  console.log(`adapter: ${ctx.summary.description}${ctx.summary.isFallback ? ' (CPU fallback: speeds are not GPU speeds)' : ''}`);
  const started = performance.now();
  const resume = args.resume ? await loadCheckpoint(args.resume) : undefined;
  if (resume) console.log(`resuming from ${args.resume} at step ${resume.step}`);
  const trainer = await SftTrainer.create(ctx.device, config, { samples, resume });
  console.log(
    `preset ${args.preset}: ${trainer.layout.count.toLocaleString()} parameters, C ${model.width}, ${model.layers} layers, ${model.heads} heads, T ${model.contextLength}; ` +
      `${samples.length} ${data} samples, B ${train.batchSize}, ${train.steps} steps, lr ${train.lr} (warmup ${train.warmupSteps}, cosine to ${train.minLrRatio}x); ` +
      `setup ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const every = args.logEvery ?? Math.max(1, Math.round(train.steps / 20));
  let tokens = 0;
  let skipped = 0;
  let evalMs = 0;
  // A B=1 model sharing the trainer's kernels decodes the held-out questions from the current weights.
  const evalModel = evalPrompts.length ? await GpuModel.create(ctx.device, model, trainer.layout, { batchSize: EVAL_ROWS, init: new Float32Array(trainer.layout.total), train, kernels: trainer.model.internals.kernels, label: 'heldout' }) : undefined;
  const evalDecoder = evalModel && Decoder.create(evalModel);
  const heldOut = async (step: number) => {
    if (!evalModel) return;
    const e0 = performance.now();
    // The trainer's parameters into the evaluation model, GPU to GPU.
    const enc = ctx.device.createCommandEncoder({ label: 'heldout.params' });
    enc.copyBufferToBuffer(trainer.model.buffers.params, 0, evalModel.buffers.params, 0, trainer.layout.total * 4);
    ctx.device.queue.submit([enc.finish()]);
    const { report } = await evaluateHeldOut(evalDecoder!, evalPrompts, { maxNewTokens: model.contextLength });
    evalMs += performance.now() - e0;
    const fam = Object.entries(report.by_family).map(([k, m]) => `${k} ${m.answer_accuracy.toFixed(2)}/${m.perception_judge_accuracy.toFixed(2)}`).join(', ');
    console.log(
      `  held-out @ step ${step}: answer acc ${report.answer_accuracy.toFixed(3)}, perception judge acc ${report.perception_judge_accuracy.toFixed(3)}, ` +
        `format P/R ${report.format_perception.toFixed(2)}/${report.format_reasoning.toFixed(2)} (${report.questions} questions; answer/judge by family: ${fam}; ${((performance.now() - e0) / 1000).toFixed(1)} s)`,
    );
    return report;
  };
  const t0 = performance.now();
  const stop = stopRequests();
  for (let s = trainer.step; s < train.steps && !stop.requested; s++) {
    if (evalEvery > 0 && s > 0 && s % evalEvery === 0) await heldOut(s);
    const e = await trainer.trainStep();
    tokens += e.tokens;
    if (e.skipped) skipped++;
    if (s % every === 0 || s === train.steps - 1) {
      console.log(
        `step ${String(e.step).padStart(5)}  loss ${e.loss.toFixed(4)}  entropy ${e.entropy.toFixed(3)}  lr ${e.lr.toExponential(2)}  ` +
          `|g| ${e.gradNorm.toFixed(3)}${e.clipScale < 1 ? ` (clip ${e.clipScale.toFixed(2)})` : ''}  ${e.ms.toFixed(0)} ms${e.skipped ? '  SKIPPED' : ''}`,
      );
    }
    if (errors.length) throw new Error(`GPU error: ${errors.join('; ')}`);
  }
  const seconds = (performance.now() - t0 - evalMs) / 1000;
  const ran = trainer.log.length;
  console.log(`${ran} steps in ${seconds.toFixed(1)} s (${((seconds / Math.max(1, ran)) * 1000).toFixed(0)} ms/step, ${(tokens / seconds).toFixed(0)} target tokens/s), ${skipped} skipped`);
  if (stop.requested) return interrupted(args, stop, trainer.step, () => trainer.checkpoint({ preset: args.preset, seed: String(train.seed) }), ctx.device);
  stop.dispose();
  const final = await heldOut(trainer.step);
  if (final) console.log(formatReport(final));
  console.log(`wall time ${((performance.now() - started) / 60000).toFixed(1)} min (held-out evaluations ${(evalMs / 1000).toFixed(0)} s)`);
  if (args.out) await writeCheckpoint(args.out, await trainer.checkpoint({ preset: args.preset, seed: String(train.seed) }));
  await stdout.check();

  ctx.device.destroy();
}

/** After SIGINT/SIGTERM: the checkpoint at the last finished step to --out, then exit 130/143. */
async function interrupted(
  args: TrainArgs,
  stop: ReturnType<typeof stopRequests>,
  step: number,
  checkpoint: () => Promise<import('../src/train/checkpoint').Checkpoint>,
  device: GPUDevice,
): Promise<void> {
  if (args.out) await writeCheckpoint(args.out, await checkpoint());
  const resume = `--resume ${args.out} --out ${args.out}`;
  process.stderr.write(`train: interrupted (${stop.requested}) at step ${step}; ${args.out ? `checkpoint written to ${args.out}: continue with the same options and ${resume}` : 'no --out, so nothing was saved'}\n`);
  process.exitCode = stop.exitCode;
  device.destroy();
}

/**
 * --frame-encoder onnx: the frozen encoder (onnxruntime-web, wasm provider), which fixes the frame size,
 * feature width and tokens per frame of the model config.
 */
async function loadFrameEncoder(args: TrainArgs, frameSize: number) {
  if (args.frameEncoder !== 'onnx') return { encoder: undefined, encoderModel: {} };
  const { OnnxFrameEncoder } = await import('../src/model/onnx_encoder');
  const { onnxEncoderConfig } = await import('../src/model/batch');
  const { readFileSync } = await import('node:fs');
  const path = args.encoder ?? 'public/models/tiny-frame-encoder.onnx';
  const encoder = await OnnxFrameEncoder.load(new Uint8Array(readFileSync(path)), { backend: 'wasm' });
  const h = encoder.signature.inputShape[2];
  const encoderModel = await onnxEncoderConfig(encoder, typeof h === 'number' ? h : frameSize);
  console.log(`frame encoder: ${path} (frozen), ${JSON.stringify(encoderModel)}`);
  return { encoder, encoderModel };
}

/** Encodes every distinct frames array once (makeBatch and the Decoder find features by it), then frees the encoder. */
async function encodeAllFrames(encoder: import('../src/model/onnx_encoder').OnnxFrameEncoder, items: { frames: import('../src/model/batch').FrameInput[] }[], model: import('../src/model/config').ModelConfig) {
  const { encodeFrameFeatures } = await import('../src/model/batch');
  const seen = new Set<unknown>();
  for (const { frames } of items) {
    if (seen.has(frames)) continue;
    seen.add(frames);
    await encodeFrameFeatures(encoder, frames, model);
  }
  await encoder.release();
}

/**
 * --data synthetic: the generator's seed (--data-seed, else the built-in dataset's) and the preset's
 * questions (src/train/rl_data.ts PRESET_SYNTHETIC) with --style / --difficulty.
 */
async function syntheticSource(args: TrainArgs) {
  const { PRESET_SYNTHETIC } = await import('../src/train/rl_data');
  const { DEFAULT_SYNTHETIC } = await import('../src/data/synthetic');
  const spec = { ...PRESET_SYNTHETIC[args.preset], ...(args.style && { style: args.style }), ...(args.difficulty && { difficulty: args.difficulty }) };
  return { seed: args.dataSeed ?? DEFAULT_SYNTHETIC.seed, spec };
}

async function loadCheckpoint(dir: string, flag = '--resume') {
  const { parseCheckpoint } = await import('../src/train/checkpoint');
  const { join } = await import('node:path');
  const safetensors = readInputFile(join(dir, 'model.safetensors'), flag);
  const config = readInputFile(join(dir, 'model.json'), flag).toString('utf8');
  try {
    return await parseCheckpoint(new Uint8Array(safetensors), config);
  } catch (e) {
    throw new IoError(`${flag} ${dir}: not a usable checkpoint: ${(e as Error).message}`);
  }
}

async function writeCheckpoint(dir: string, ckpt: import('../src/train/checkpoint').Checkpoint): Promise<void> {
  const { serializeCheckpoint } = await import('../src/train/checkpoint');
  const { mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const ser = await serializeCheckpoint(ckpt);
  mkdirSync(dir, { recursive: true });
  // Both files to temporary names, then renamed: a failed write or a kill leaves the previous pair
  // whole (the JSON's SHA-256 also catches a safetensors file from another write).
  const files = [['model.safetensors', ser.safetensors], ['model.json', ser.config]] as const;
  try {
    writeFilesAtomic(files.map(([name, data]) => [join(dir, name), data] as const));
  } catch (e) {
    if (!(e instanceof IoError)) throw e;
    const rescued = rescueCopy('train', files);
    throw new IoError(
      `${e.message}; ${dir} keeps its previous checkpoint, if any; ` +
        (rescued ? `the new checkpoint (step ${ser.step}) was saved to ${rescued} instead` : `the new checkpoint (step ${ser.step}) could not be saved elsewhere either`),
    );
  }
  console.log(`checkpoint at step ${ser.step}: ${join(dir, 'model.safetensors')} (${ser.safetensors.length} bytes), ${join(dir, 'model.json')}`);
}

/** RL (PA-GRPO, GRPO or an ablation) from an SFT checkpoint or from scratch. */
async function mainRl(args: TrainArgs): Promise<void> {
  const stdout = watchStdout('stdout (the training log)');
  const { makeConfig, modelDims } = await import('../src/model/config');
  const { nodeGpu } = await import('../src/gpu/node-gpu');
  const { acquireDevice } = await import('../src/gpu/device');
  const { RlTrainer } = await import('../src/train/rl');
  const { rlJudge } = await import('../src/train/self_answer');
  const { microRlPrompts, syntheticRlPrompts, PRESET_VIDEOS } = await import('../src/train/rl_data');
  const { flatFromTensors } = await import('../src/train/checkpoint');
  const { paramLayout } = await import('../src/model/params');
  const { toInspectorRollout } = await import('../src/train/rl_export');
  const { toJsonl } = await import('../src/rollouts/export');

  const base = makeConfig(args.preset);
  const { RL_DEFAULTS } = await import('../src/train/rl_defaults');
  const steps = args.steps ?? RL_DEFAULTS[args.preset].steps;
  const { encoder, encoderModel } = await loadFrameEncoder(args, base.model.frameSize);
  const config = makeConfig(args.preset, {
    model: encoderModel,
    train: {
      steps,
      lr: args.lr ?? RL_DEFAULTS[args.preset].lr,
      ...(args.seed !== undefined && { seed: args.seed }),
      warmupSteps: 1, // RL starts from a trained policy: a one-step warmup, as the Train page and the experiment
    },
  });
  const { model, train } = config;
  const data = args.data ?? 'synthetic';
  const prompts = data === 'micro' ? microRlPrompts(args.samples ?? 64, train.seed, model.frames, model.frameSize) : await syntheticSource(args).then(({ seed, spec }) => syntheticRlPrompts(args.samples ?? PRESET_VIDEOS[args.preset], seed, spec));
  if (encoder) await encodeAllFrames(encoder, prompts, model);
  const errors: string[] = [];
  const ctx = await acquireDevice({ gpu: await nodeGpu(), onError: (e) => errors.push(`${e.code}: ${e.message}`) });
  console.log(`adapter: ${ctx.summary.description}${ctx.summary.isFallback ? ' (CPU fallback: speeds are not GPU speeds)' : ''}`);
  const resume = args.resume ? await loadCheckpoint(args.resume) : undefined;
  if (resume) console.log(`starting from ${args.resume} (${resume.metadata.mode ?? 'sft'} checkpoint, step ${resume.step})`);
  else console.log('no --resume: RL from freshly initialised weights (the RL-only ablation)');
  const reference = args.reference ? flatFromTensors(paramLayout(model), (await loadCheckpoint(args.reference, '--reference')).tensors) : undefined;
  const defaults = RL_DEFAULTS[args.preset];
  const group = args.group ?? defaults.group;
  const promptsPerStep = args.prompts ?? defaults.promptsPerStep;
  const runId = args.runId ?? `cli-${args.mode}-seed${train.seed}`;
  // Written to ROLLOUTS.partial-PID, each step's rollouts flushed when the step ends, renamed over
  // ROLLOUTS at the end (or on SIGINT/SIGTERM): a write error names the file and stops the run.
  const rolloutsOut = args.rolloutsOut ? new OutputFile(args.rolloutsOut, '--rollouts-out', 'rollouts.jsonl') : undefined;
  process.once('exit', () => rolloutsOut?.abort()); // a run that failed leaves no partial file (a no-op after commit)
  let written = 0;
  const started = performance.now();
  const trainer = await RlTrainer.create(ctx.device, config, {
    prompts,
    mode: args.mode,
    group,
    promptsPerStep,
    updatesPerBatch: args.updates ?? 1,
    sampling: {
      temperature: args.temperature ?? defaults.temperature,
      topP: args.topP ?? defaults.topP,
      maxNewTokens: args.maxNewTokens ?? modelDims(model).maxT,
    },
    loss: { beta: args.beta ?? defaults.beta, ...(args.clip !== undefined && { clipLow: args.clip, clipHigh: args.clip }) },
    rewardOverrides: { ...(args.lenP && { perceptionLength: args.lenP }), ...(args.lenR && { reasoningLength: args.lenR }) },
    resume,
    reference,
    judge: rlJudge(args.judge ?? 'rules'),
    onRollouts: rolloutsOut
      ? (rs) => {
          rolloutsOut.append(toJsonl(rs.map((r) => toInspectorRollout(r, runId, args.rolloutsOut))));
          rolloutsOut.flush();
          written += rs.length;
        }
      : undefined,
  });
  console.log(
    `${args.mode} on preset ${args.preset}: ${trainer.layout.count.toLocaleString()} parameters, T ${model.contextLength}; ${prompts.length} ${data} prompts, ` +
      `P ${promptsPerStep} × G ${group} per step, ${train.steps} steps, lr ${train.lr} (warmup ${train.warmupSteps}), β ${trainer.lossConfig.beta}, ε ${trainer.lossConfig.clipLow}, ` +
      `T ${trainer.sampling.temperature} top-p ${trainer.sampling.topP}, ≤ ${trainer.sampling.maxNewTokens} new tokens; setup ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const every = args.logEvery ?? Math.max(1, Math.round(train.steps / 20));
  const f = (x: number, d = 2) => x.toFixed(d);
  let skipped = 0;
  const t0 = performance.now();
  const stop = stopRequests();
  for (let s = trainer.step; s < train.steps && !stop.requested; s++) {
    const e = await trainer.trainStep();
    if (e.skipped) skipped++;
    if (s % every === 0 || s === train.steps - 1) {
      const p = e.rewards.perception;
      const r = e.rewards.reasoning;
      console.log(
        `step ${String(e.step).padStart(4)}  loss ${e.loss.toFixed(4)}  R_P ${f(p.total)} (acc ${f(p.accuracy)} fmt ${f(p.format)} len ${f(p.length)})  ` +
          `R_R ${f(r.total)} (acc ${f(r.accuracy)} fmt ${f(r.format)} len ${f(r.length)})  KL ${e.kl.toExponential(2)}  H ${f(e.entropy, 3)}  clip ${f(e.clipFraction)}  ` +
          `|g| ${f(e.gradNorm, 3)}  seg P/R ${f(e.segmentLengths.perception, 1)}/${f(e.segmentLengths.reasoning, 1)}  collapsed P/R/both ${e.collapsed.perception}/${e.collapsed.reasoning}/${e.collapsed.both} of ${e.collapsed.groups}  ` +
          `${(e.ms.total / 1000).toFixed(1)} s (gen ${(e.ms.generate / 1000).toFixed(1)})${e.skipped ? '  SKIPPED' : ''}`,
      );
    }
    if (errors.length) throw new Error(`GPU error: ${errors.join('; ')}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await rolloutsOut?.commit();
  console.log(`${trainer.log.length} RL steps in ${seconds.toFixed(1)} s, ${skipped} skipped${args.rolloutsOut ? `; ${written} rollouts → ${args.rolloutsOut} (run ${runId})` : ''}`);
  if (stop.requested) return interrupted(args, stop, trainer.step, () => trainer.checkpoint({ preset: args.preset, seed: String(train.seed) }), ctx.device);
  stop.dispose();
  if (args.out) await writeCheckpoint(args.out, await trainer.checkpoint({ preset: args.preset, seed: String(train.seed) }));
  await stdout.check();
  ctx.device.destroy();
}

await runSelfUnderVite('train', '/scripts/train.ts', () => parseArgs(process.argv.slice(2)));
