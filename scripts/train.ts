// `npm run train -- --preset tiny --steps N [--mode sft]`: the training engine in Node on Dawn
// (SwiftShader without a GPU), the same code the browser worker runs.
//
// The engine imports its WGSL through Vite's `?raw` suffix, which tsx does not understand. So this
// file, started by tsx, only parses arguments and starts a Vite dev server in middleware mode, then
// loads itself again through Vite's SSR module loader (createServer + ssrLoadModule), where `?raw`
// works, and calls main() there. Every engine import is dynamic, inside main().
//
// Options:
//   --preset tiny|demo   config preset (default tiny)
//   --steps N            optimiser steps (default: the preset's)
//   --mode sft           only SFT exists so far (pa-grpo and grpo: not implemented yet)
//   --seed S --lr X --batch B     overrides of the preset's train config
//   --data micro|synthetic        micro: the built-in moving-square fixture (default for tiny);
//                                 synthetic: src/data's generator, 5 questions per video (default for demo)
//   --samples N          dataset size (micro: samples; synthetic: videos). Default 64 / 40
//   --log-every K        print every K steps (default: about 20 lines per run)
//   --out DIR            write DIR/model.safetensors + DIR/model.json at the end (src/train/checkpoint.ts)
//   --resume DIR         continue from DIR's checkpoint (same preset and overrides) up to --steps

import { createServer } from 'vite';

declare global {
  var __p2rTrainUnderVite: boolean | undefined;
}

export interface TrainArgs {
  preset: 'tiny' | 'demo';
  steps?: number;
  mode: string;
  seed?: number;
  lr?: number;
  batch?: number;
  data?: 'micro' | 'synthetic';
  samples?: number;
  logEvery?: number;
  out?: string;
  resume?: string;
}

function parseArgs(argv: string[]): TrainArgs {
  const args: TrainArgs = { preset: 'tiny', mode: 'sft' };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`${flag} needs a number (got ${v})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--preset':
        if (value !== 'tiny' && value !== 'demo') throw new Error(`--preset: 'tiny' or 'demo' (got ${value})`);
        args.preset = value;
        break;
      case '--steps': args.steps = num(flag, value); break;
      case '--mode': args.mode = value ?? ''; break;
      case '--seed': args.seed = num(flag, value); break;
      case '--lr': args.lr = num(flag, value); break;
      case '--batch': args.batch = num(flag, value); break;
      case '--samples': args.samples = num(flag, value); break;
      case '--log-every': args.logEvery = num(flag, value); break;
      case '--data':
        if (value !== 'micro' && value !== 'synthetic') throw new Error(`--data: 'micro' or 'synthetic' (got ${value})`);
        args.data = value;
        break;
      case '--out': args.out = value; break;
      case '--resume': args.resume = value; break;
      default:
        throw new Error(`unknown option ${flag} (see the header of scripts/train.ts)`);
    }
    i++;
  }
  if (args.mode !== 'sft') throw new Error(`--mode ${args.mode}: only 'sft' is implemented so far (PA-GRPO and GRPO are the next part of issue 5)`);
  return args;
}

export async function main(args: TrainArgs): Promise<void> {
  const { makeConfig } = await import('../src/model/config');
  const { nodeGpu } = await import('../src/gpu/node-gpu');
  const { acquireDevice } = await import('../src/gpu/device');
  const { SftTrainer } = await import('../src/train/sft');
  const { microSamples } = await import('../src/train/samples');
  const { syntheticSftSamples } = await import('../src/train/data');

  const base = makeConfig(args.preset);
  const config = makeConfig(args.preset, {
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
  const data = args.data ?? (args.preset === 'tiny' ? 'micro' : 'synthetic');
  const samples =
    data === 'micro'
      ? microSamples(args.samples ?? 64, train.seed, model.frames, model.frameSize)
      : syntheticSftSamples(args.samples ?? 40, train.seed);

  const errors: string[] = [];
  const ctx = await acquireDevice({ gpu: await nodeGpu(), onError: (e) => errors.push(`${e.code}: ${e.message}`) });
  console.log(`adapter: ${ctx.summary.description}${ctx.summary.isFallback ? ' (CPU fallback: speeds are not GPU speeds)' : ''}`);
  const started = performance.now();
  let resume;
  if (args.resume) {
    const { parseCheckpoint } = await import('../src/train/checkpoint');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    resume = await parseCheckpoint(new Uint8Array(readFileSync(join(args.resume, 'model.safetensors'))), readFileSync(join(args.resume, 'model.json'), 'utf8'));
    console.log(`resuming from ${args.resume} at step ${resume.step}`);
  }
  const trainer = await SftTrainer.create(ctx.device, config, { samples, resume });
  console.log(
    `preset ${args.preset}: ${trainer.layout.count.toLocaleString()} parameters, C ${model.width}, ${model.layers} layers, ${model.heads} heads, T ${model.contextLength}; ` +
      `${samples.length} ${data} samples, B ${train.batchSize}, ${train.steps} steps, lr ${train.lr} (warmup ${train.warmupSteps}, cosine to ${train.minLrRatio}x); ` +
      `setup ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const every = args.logEvery ?? Math.max(1, Math.round(train.steps / 20));
  let tokens = 0;
  let skipped = 0;
  const t0 = performance.now();
  for (let s = trainer.step; s < train.steps; s++) {
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
  const seconds = (performance.now() - t0) / 1000;
  const ran = trainer.log.length;
  console.log(`${ran} steps in ${seconds.toFixed(1)} s (${((seconds / Math.max(1, ran)) * 1000).toFixed(0)} ms/step, ${(tokens / seconds).toFixed(0)} target tokens/s), ${skipped} skipped`);
  if (args.out) {
    const { serializeCheckpoint } = await import('../src/train/checkpoint');
    const { mkdirSync, writeFileSync, renameSync } = await import('node:fs');
    const { join } = await import('node:path');
    const ser = await serializeCheckpoint(await trainer.checkpoint({ preset: args.preset, seed: String(train.seed) }));
    mkdirSync(args.out, { recursive: true });
    // Each file written to a temporary name, then renamed: a reader never sees half a file (and the
    // JSON's SHA-256 catches a safetensors file from another write).
    const write = (name: string, data: Uint8Array | string) => {
      writeFileSync(join(args.out!, `${name}.tmp`), data);
      renameSync(join(args.out!, `${name}.tmp`), join(args.out!, name));
    };
    write('model.safetensors', ser.safetensors);
    write('model.json', ser.config);
    console.log(`checkpoint at step ${ser.step}: ${join(args.out, 'model.safetensors')} (${ser.safetensors.length} bytes), ${join(args.out, 'model.json')}`);
  }
  ctx.device.destroy();
}

if (!globalThis.__p2rTrainUnderVite) {
  globalThis.__p2rTrainUnderVite = true;
  let args: TrainArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`train: ${(e as Error).message}`);
    process.exit(2);
  }
  const vite = await createServer({
    configFile: false, // no React plugin or test projects needed; ?raw is core Vite
    root: new URL('..', import.meta.url).pathname,
    logLevel: 'warn',
    appType: 'custom',
    server: { middlewareMode: true, hmr: false, ws: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  let code = 0;
  try {
    const self = (await vite.ssrLoadModule('/scripts/train.ts')) as { main: typeof main };
    await self.main(args);
  } catch (e) {
    console.error(e);
    code = 1;
  } finally {
    await vite.close();
  }
  process.exit(code);
}
