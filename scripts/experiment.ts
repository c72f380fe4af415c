// `npx tsx scripts/experiment.ts [--preset tiny] [--seeds 1,2] [--sft-steps N] [--rl-steps N] ...`:
// the issue-5 experiment. Per seed: SFT on the training split, then PA-GRPO and GRPO for the same number
// of steps from that same SFT checkpoint (the frozen reference = the SFT weights), each evaluated on a
// held-out split (prompts the SFT and RL never saw) with greedy decoding: reasoning accuracy (Video-R1
// accuracy of <answer>) and perception judge accuracy (rule judge over the scene facts), plus format.
// Prints a Markdown table. Runs in Node on Dawn through Vite's SSR loader (as scripts/train.ts).
//
// Options: --preset tiny|demo  --seeds 1,2  --sft-steps N (default 60)  --rl-steps N (default 10)
//   --group G (4) --prompts P (2) --train N (training prompts, default 64) --eval N (held-out, default 16)
//   --max-new-tokens N (default: the context's room)  --rl-lr X (default preset lr / 10)  --beta X (0.04)
//   --top-p X (RL sampling, default 0.95)
//   --modes pa-grpo,grpo (any RL modes)
//   --data synthetic|micro (default synthetic: the built-in synthetic dataset's generator, the preset's
//   style, training videos first and held-out videos after them; --train/--eval count questions)
//   --difficulty easy|medium|hard (synthetic; default the preset's)

import { runSelfUnderVite } from './vite-node';

interface Args {
  preset: 'tiny' | 'demo';
  seeds: number[];
  sftSteps: number;
  rlSteps: number;
  group: number;
  prompts: number;
  train: number;
  eval: number;
  maxNewTokens?: number;
  rlLr?: number;
  beta?: number;
  topP?: number;
  modes: string[];
  data: 'synthetic' | 'micro';
  difficulty?: 'easy' | 'medium' | 'hard';
}

function parseArgs(argv: string[]): Args {
  const a: Args = { preset: 'tiny', seeds: [1], sftSteps: 60, rlSteps: 10, group: 4, prompts: 2, train: 64, eval: 16, modes: ['pa-grpo', 'grpo'], data: 'synthetic' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    const n = Number(v);
    switch (flag) {
      case '--preset': if (v !== 'tiny' && v !== 'demo') throw new Error('--preset tiny|demo'); a.preset = v; break;
      case '--seeds': a.seeds = v.split(',').map(Number); break;
      case '--sft-steps': a.sftSteps = n; break;
      case '--rl-steps': a.rlSteps = n; break;
      case '--group': a.group = n; break;
      case '--prompts': a.prompts = n; break;
      case '--train': a.train = n; break;
      case '--eval': a.eval = n; break;
      case '--max-new-tokens': a.maxNewTokens = n; break;
      case '--rl-lr': a.rlLr = n; break;
      case '--beta': a.beta = n; break;
      case '--top-p': a.topP = n; break;
      case '--modes': a.modes = v.split(','); break;
      case '--data': if (v !== 'synthetic' && v !== 'micro') throw new Error('--data synthetic|micro'); a.data = v; break;
      case '--difficulty': if (v !== 'easy' && v !== 'medium' && v !== 'hard') throw new Error('--difficulty easy|medium|hard'); a.difficulty = v; break;
      default: throw new Error(`unknown option ${flag} (see the header of scripts/experiment.ts)`);
    }
  }
  return a;
}

export async function main(args: Args): Promise<void> {
  const { makeConfig, modelDims } = await import('../src/model/config');
  const { nodeGpu } = await import('../src/gpu/node-gpu');
  const { acquireDevice } = await import('../src/gpu/device');
  const { GpuModel, createModelKernels } = await import('../src/model/model');
  const { Decoder } = await import('../src/model/generate');
  const { SftTrainer } = await import('../src/train/sft');
  const { RlTrainer, evaluatePrompts } = await import('../src/train/rl');
  const { microRlPrompts, syntheticRlPrompts, sftSampleOf, PRESET_SYNTHETIC } = await import('../src/train/rl_data');
  const { flatFromTensors } = await import('../src/train/checkpoint');

  const ctx = await acquireDevice({ gpu: await nodeGpu() });
  console.log(`adapter: ${ctx.summary.description}${ctx.summary.isFallback ? ' (CPU fallback)' : ''}`);
  const rows: string[] = [];
  const t0 = performance.now();
  for (const seed of args.seeds) {
    const base = makeConfig(args.preset);
    const sftConfig = makeConfig(args.preset, { train: { seed, steps: args.sftSteps, warmupSteps: Math.min(base.train.warmupSteps, Math.max(1, Math.floor(args.sftSteps / 10))) } });
    const { model } = sftConfig;
    const micro = args.data === 'micro';
    const spec = { ...PRESET_SYNTHETIC[args.preset], ...(args.difficulty && { difficulty: args.difficulty }) };
    // Held-out split: a different generator seed (micro) or the videos after the training ones
    // (synthetic: the built-in dataset's generator, seeded per experiment seed).
    const trainVideos = Math.ceil(args.train / 5);
    const trainPrompts = micro ? microRlPrompts(args.train, seed, model.frames, model.frameSize) : syntheticRlPrompts(trainVideos, seed, spec);
    const evalPrompts = micro ? microRlPrompts(args.eval, seed + 100_000, model.frames, model.frameSize) : syntheticRlPrompts(Math.ceil(args.eval / 5), seed, spec, trainVideos);
    const maxNewTokens = args.maxNewTokens ?? modelDims(model).maxT;
    const kernels = await createModelKernels(ctx.device, [model.width / model.heads]);
    const evaluate = async (params: Float32Array) => {
      const { paramLayout } = await import('../src/model/params');
      const m = await GpuModel.create(ctx.device, model, paramLayout(model), { batchSize: 1, init: params, train: sftConfig.train, kernels, label: 'eval' });
      return evaluatePrompts(Decoder.create(m), evalPrompts, { maxNewTokens, temperature: 0 });
    };

    const sft = await SftTrainer.create(ctx.device, sftConfig, { samples: trainPrompts.map(sftSampleOf), kernels });
    await sft.run(args.sftSteps);
    const ckpt = await sft.checkpoint({ seed: String(seed) });
    const sftLoss = sft.log.at(-1)!.loss;
    const row = (name: string, e: Awaited<ReturnType<typeof evaluatePrompts>>, extra: string) =>
      `| ${seed} | ${name} | ${e.reasoningAccuracy.toFixed(3)} | ${e.perceptionAccuracy.toFixed(3)} | ${e.formatPerception.toFixed(2)} / ${e.formatReasoning.toFixed(2)} | ${e.meanTokens.toFixed(0)} | ${extra} |`;
    const sftEval = await evaluate(flatFromTensors(sft.layout, ckpt.tensors));
    rows.push(row('SFT', sftEval, `SFT ${args.sftSteps} steps, final loss ${sftLoss.toFixed(3)}`));
    console.log(rows.at(-1));
    for (const mode of args.modes) {
      const rlConfig = makeConfig(args.preset, { train: { seed, steps: args.rlSteps, lr: args.rlLr ?? base.train.lr / 10, warmupSteps: 1 } });
      const rl = await RlTrainer.create(ctx.device, rlConfig, {
        prompts: trainPrompts,
        mode,
        group: args.group,
        promptsPerStep: args.prompts,
        sampling: { maxNewTokens, ...(args.topP !== undefined && { topP: args.topP }) },
        loss: { ...(args.beta !== undefined && { beta: args.beta }) },
        resume: ckpt,
        kernels,
        onWarning: (m) => console.warn(m),
      });
      await rl.run(args.rlSteps);
      const first = rl.log[0];
      const last = rl.log.at(-1)!;
      const e = await evaluate(await rl.policy.readParams());
      const trainR = (x: typeof first) => `${x.rewards.perception.accuracy.toFixed(2)}/${x.rewards.reasoning.accuracy.toFixed(2)}`;
      rows.push(row(`SFT → ${mode}`, e, `${args.rlSteps} RL steps; train acc P/R first→last step ${trainR(first)} → ${trainR(last)}; KL ${last.kl.toExponential(1)}`));
      console.log(rows.at(-1));
    }
  }
  console.log(
    `\nHeld-out: ${args.eval} prompts per seed, greedy, ≤ ${args.maxNewTokens ?? 'context'} new tokens. preset ${args.preset}, G ${args.group}, P ${args.prompts}. ` +
      `${((performance.now() - t0) / 60000).toFixed(1)} min.\n`,
  );
  console.log('| seed | model | reasoning acc | perception judge acc | format P / R | mean tokens | notes |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  ctx.device.destroy();
}

await runSelfUnderVite('experiment', '/scripts/experiment.ts', () => parseArgs(process.argv.slice(2)));
