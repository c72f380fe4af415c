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

import { checkCheckpointFolder } from './cli_io';
import { runSelfUnderVite } from './vite-node';

export interface EvalArgs {
  resume: string;
  dataSeed?: number;
  questions: number;
  preset?: 'tiny' | 'demo';
  json: boolean;
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
  const { report } = await evaluateHeldOut(Decoder.create(gpu), prompts, {
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
  if (args.json) console.log(JSON.stringify({ checkpoint: args.resume, data_seed: seed, preset, ...report }));
  ctx.device.destroy();
}

await runSelfUnderVite('eval', '/scripts/eval.ts', () => parseArgs(process.argv.slice(2)));
