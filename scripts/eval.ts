// `npm run eval -- --resume DIR [--data-seed S] [--questions N] [--json]`: held-out evaluation of a
// checkpoint (DIR/model.safetensors + DIR/model.json, as `npm run train -- --out DIR` writes them).
// Greedy decoding of N questions (default 240) about videos of generator seed S (default 9001, which
// training never uses), the preset's synthetic task families, scored with the rule judge over the scene
// facts: format of both processes, answer accuracy, perception judge accuracy, overall, per problem
// type and per task family (src/train/heldout.ts). Runs in Node on Dawn (SwiftShader without a GPU)
// under Vite's SSR loader, as scripts/train.ts.
//
// Options:
//   --resume DIR       the checkpoint (required)
//   --data-seed S      generator seed of the held-out videos (default 9001)
//   --questions N      number of questions (default 240: 80 videos × 3 families for tiny)
//   --preset tiny|demo which task families (default: the checkpoint's metadata, else tiny for a
//                      piece-vocabulary model and demo otherwise)
//   --json             print the report as one JSON object on the last line of stdout
// Exit status: 0, 1 on a failure while evaluating, 2 on bad arguments or an unreadable checkpoint.
//
// Benchmark-format evaluation (scripts/eval_outputs.ts, which lists its options):
//   npm run eval -- --outputs FILE|DIR [--model NAME] [--benchmark NAME] [--paper] [--skip-bad] [--json]
// scores another model's outputs (Video-R1 evaluation JSON) per benchmark and task, in the layout of
// the paper's Table 1, without a GPU. With --resume DIR as well, the checkpoint's held-out answers are
// a row of that table too (benchmark "P2R held-out"); --write-outputs FILE saves them as Video-R1
// evaluation JSON.

import { checkCheckpointFolder } from './cli_io';
import { runSelfUnderVite } from './vite-node';
import { CliError, runOutputsCli, splitOutputsArgs, type OutputsArgs } from './eval_outputs';

export interface EvalArgs {
  resume: string;
  dataSeed?: number;
  questions: number;
  preset?: 'tiny' | 'demo';
  json: boolean;
  /** Benchmark-evaluation options (scripts/eval_outputs.ts), when any was given. */
  outputs?: OutputsArgs | null;
}

function parseArgs(argv: string[]): EvalArgs {
  const a: Partial<EvalArgs> = { questions: 240, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const num = () => {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer (got ${value ?? 'nothing'})`);
      i++;
      return n;
    };
    switch (flag) {
      case '--resume':
        if (!value) throw new Error('--resume: expected a checkpoint directory');
        a.resume = value;
        i++;
        break;
      case '--data-seed': a.dataSeed = num(); break;
      case '--questions': a.questions = num(); if (a.questions === 0) throw new Error('--questions: at least 1'); break;
      case '--preset':
        if (value !== 'tiny' && value !== 'demo') throw new Error(`--preset: 'tiny' or 'demo' (got ${value})`);
        a.preset = value;
        i++;
        break;
      case '--json': a.json = true; break;
      case '--help':
        console.log('npm run eval -- --resume DIR [--data-seed S] [--questions N] [--preset tiny|demo] [--json]');
        console.log('npm run eval -- --outputs FILE|DIR [--model NAME] [--benchmark NAME] [--task-field F] [--numerical auto|mra|exact] [--skip-bad] [--paper] [--json]');
        console.log('  (with --resume too, the checkpoint is a row of the benchmark table; --write-outputs FILE saves its answers; see scripts/eval_outputs.ts)');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${flag} (see the header of scripts/eval.ts)`);
    }
  }
  if (!a.resume) throw new Error('--resume DIR is required (a checkpoint written by npm run train -- --out DIR)');
  checkCheckpointFolder(a.resume, '--resume'); // before Vite and the GPU: exit 2 naming the file
  return a as EvalArgs;
}

export async function main(args: EvalArgs): Promise<void> {
  const { readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { parseCheckpoint, flatFromTensors } = await import('../src/train/checkpoint');
  const { paramLayout } = await import('../src/model/params');
  const { modelDims, validateModelConfig } = await import('../src/model/config');
  const { nodeGpu } = await import('../src/gpu/node-gpu');
  const { acquireDevice } = await import('../src/gpu/device');
  const { GpuModel } = await import('../src/model/model');
  const { Decoder } = await import('../src/model/generate');
  const { PRESET_SYNTHETIC } = await import('../src/train/rl_data');
  const { evaluateHeldOut, heldOutPrompts, HELD_OUT_SEED, EVAL_ROWS } = await import('../src/train/heldout');
  const { formatReport } = await import('../src/train/heldout_format');

  const files = ['model.safetensors', 'model.json'].map((f) => join(args.resume, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    console.error(`eval: no checkpoint at ${args.resume}: missing ${missing.join(', ')}`);
    process.exit(2);
  }
  let ckpt: Awaited<ReturnType<typeof parseCheckpoint>>;
  try {
    ckpt = await parseCheckpoint(new Uint8Array(readFileSync(files[0])), readFileSync(files[1], 'utf8'));
  } catch (e) {
    console.error(`eval: ${args.resume}: ${(e as Error).message}`);
    process.exit(2);
  }
  const { model, train } = ckpt.config as import('../src/model/config').Config;
  try {
    validateModelConfig(model);
  } catch (e) {
    console.error(`eval: ${args.resume}: ${(e as Error).message}`);
    process.exit(2);
  }
  // The benchmark options' files, before minutes of decoding: a bad path fails now, not after.
  try {
    const { checkWritable, expandOutputsPath } = await import('./eval_outputs');
    if (args.outputs?.writeOutputs) checkWritable(args.outputs.writeOutputs);
    for (const spec of args.outputs?.files ?? []) expandOutputsPath(spec);
  } catch (e) {
    console.error(`eval: ${(e as Error).message}`);
    process.exit(2);
  }
  const metaPreset = ckpt.metadata.preset;
  const preset = args.preset ?? (metaPreset === 'tiny' || metaPreset === 'demo' ? metaPreset : model.vocabulary === 'pieces-v1' ? 'tiny' : 'demo');
  const seed = args.dataSeed ?? HELD_OUT_SEED;
  const prompts = heldOutPrompts(args.questions, PRESET_SYNTHETIC[preset], seed);
  const log = args.json ? (s: string) => console.error(s) : (s: string) => console.log(s);

  const ctx = await acquireDevice({ gpu: await nodeGpu() });
  log(`adapter: ${ctx.summary.description}${ctx.summary.isFallback ? ' (CPU fallback)' : ''}`);
  log(`checkpoint ${args.resume}: step ${ckpt.step}, ${ckpt.metadata.mode ?? 'sft'}; ${prompts.length} held-out ${preset} questions, generator seed ${seed}, greedy`);
  const layout = paramLayout(model);
  const gpu = await GpuModel.create(ctx.device, model, layout, { batchSize: EVAL_ROWS, init: flatFromTensors(layout, ckpt.tensors), train, label: 'eval' });
  const t0 = performance.now();
  let lastPrint = 0;
  const { report, items } = await evaluateHeldOut(Decoder.create(gpu), prompts, {
    maxNewTokens: modelDims(model).maxT,
    onProgress: (done, total) => {
      if (performance.now() - lastPrint > 10_000 || done === total) {
        lastPrint = performance.now();
        log(`  ${done}/${total} questions (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    },
  });
  log(formatReport(report));
  log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const benchmark = await checkpointBenchmark(args, `${args.resume} (step ${ckpt.step})`, prompts, items.map((i) => i.text), log);
  if (args.json) console.log(JSON.stringify({ checkpoint: args.resume, data_seed: seed, preset, ...report, benchmark }));
  ctx.device.destroy();
}

/**
 * The checkpoint's held-out answers as a row of the benchmark table (with the --outputs files' rows
 * after it), printed; written as Video-R1 evaluation JSON with --write-outputs. Returns the report for --json.
 */
async function checkpointBenchmark(
  args: EvalArgs,
  name: string,
  prompts: import('../src/train/rl_data').RlPrompt[],
  outputs: string[],
  log: (s: string) => void,
): Promise<unknown> {
  const { heldOutEvaluationJson } = await import('../src/train/heldout_benchmark');
  const { evaluateOutputFiles } = await import('../src/rewards/benchmark_files');
  const { benchmarkReport, evaluateOutputs, formatBenchmarkReport } = await import('./eval_outputs');
  const doc = JSON.stringify(heldOutEvaluationJson(prompts, outputs), null, 1);
  const own = evaluateOutputFiles([{ name: 'held-out answers', text: doc, model: name }]).models;
  if (args.outputs?.writeOutputs) {
    const { writeFileSync, renameSync, rmSync } = await import('node:fs');
    const path = args.outputs.writeOutputs;
    const partial = `${path}.partial-${process.pid}`;
    try {
      writeFileSync(partial, doc + '\n');
      renameSync(partial, path);
    } catch (e) {
      rmSync(partial, { force: true });
      console.error(`eval: writing ${path} failed: ${(e as Error).message}`);
      process.exit(2);
    }
    log(`held-out answers written to ${path} (Video-R1 evaluation JSON, ${outputs.length} records)`);
  }
  let report;
  try {
    report = args.outputs?.files.length ? evaluateOutputs(args.outputs, own).report : benchmarkReport(own, args.outputs?.paper ?? false);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    console.error(`eval: ${e.message}`);
    process.exit(2);
  }
  log('');
  log(formatBenchmarkReport(report));
  return report;
}

// Benchmark outputs alone need no GPU and no Vite: scored here, under tsx.
let split: ReturnType<typeof splitOutputsArgs> = { outputs: null, rest: process.argv.slice(2) };
try {
  split = splitOutputsArgs(process.argv.slice(2));
} catch (e) {
  console.error(`eval: ${(e as Error).message}`);
  process.exit(2);
}
if (split.outputs && !split.rest.includes('--resume') && !split.rest.includes('--help') && !globalThis.__p2rUnderVite?.has('/scripts/eval.ts')) {
  process.exit(runOutputsCli(split.outputs));
}
await runSelfUnderVite('eval', '/scripts/eval.ts', () => ({ ...parseArgs(split.rest), outputs: split.outputs }));
