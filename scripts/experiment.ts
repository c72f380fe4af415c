// `npm run experiment -- [flags]`: the experiment P2R Lab exists for. Per seed: SFT of the preset on
// its synthetic training videos to a deliberately partial checkpoint (room for RL to improve), then,
// from that same checkpoint and with the same RL budget and sampling seeds, PA-GRPO, GRPO and each
// ablation of the paper's Table 2. Every model is evaluated with greedy decoding on the same held-out
// questions (videos of a generator seed training never used; src/train/heldout.ts). Writes:
//   OUT/experiment.json   per arm and seed: held-out metrics (overall and per family), per-question
//                         scores, the RL reward curves per process; per arm: the mean difference from
//                         GRPO with its 95% hierarchical paired bootstrap interval (seeds, then questions)
//   OUT/experiment.md     the table (the README shows it) and the reward curves, as text
//   OUT/reward_curves.svg the per-process training reward curves of every arm (mean over seeds)
// Runs in Node on Dawn (SwiftShader without a GPU) under Vite's SSR loader, as scripts/train.ts.
// Faults (README "Faults"): --out is created and checked writable before any training (exit 2, named).
// The three files are rewritten after every arm as one unit (temporary names, renamed when all are
// complete), so a kill leaves the reports of the finished arms whole; a write that fails stops the run
// with exit 2 naming the file and saves the results under the system's temporary folder. There is no
// resume: SIGINT/SIGTERM end the run at once (the files hold the finished arms) and say so.
//
// Options (defaults in brackets):
//   --preset tiny|demo [tiny]      --seeds 1,2,3 [1,2,3]     --out DIR [experiment-out]
//   --sft-steps N [150]            SFT steps to the partial checkpoint (the preset's batch and lr)
//   --rl-steps N [12]  --group G [8]  --prompts P [2]   RL budget: P prompts × G completions per step
//   --rl-lr X [5e-4]  --beta X [0.1]  --temperature X [1]  --top-p X [1]   RL settings
//   (G, P, lr, β, temperature, top-p default to src/train/rl_defaults.ts, which the Train page uses)
//   --modes a,b,... [pa-grpo,grpo,without-rr,without-rp,without-rl,without-separation,without-separation-sum-rewards]
//   --questions N [210]            held-out questions per model (tiny: 70 videos × 3 families)
//   --data-seed S [9001]           generator seed of the held-out videos
//   --judge rules|checklist|self-answer [rules]   the perception judge of the RL arms' training reward
//                                  (held-out evaluation always reports the rule judge, one yardstick)

import { checkOutputFolder, IoError, rescueCopy, writeFilesAtomic } from './cli_io';
import { runSelfUnderVite } from './vite-node';
import { RL_DEFAULTS } from '../src/train/rl_defaults';
import { RL_JUDGE_NAMES, isRlJudgeName, type RlJudgeName } from '../src/train/protocol';

const ALL_MODES = ['pa-grpo', 'grpo', 'without-rr', 'without-rp', 'without-rl', 'without-separation', 'without-separation-sum-rewards'];

export interface ExperimentArgs {
  preset: 'tiny' | 'demo';
  seeds: number[];
  out: string;
  sftSteps: number;
  rlSteps: number;
  group: number;
  prompts: number;
  rlLr: number;
  beta: number;
  temperature: number;
  topP: number;
  modes: string[];
  questions: number;
  dataSeed?: number;
  /** Perception judge of the RL training reward. */
  judge: RlJudgeName;
}

export const EXPERIMENT_DEFAULTS: Omit<ExperimentArgs, 'dataSeed'> = {
  preset: 'tiny',
  seeds: [1, 2, 3],
  out: 'experiment-out',
  sftSteps: 150,
  rlSteps: 12,
  group: RL_DEFAULTS.tiny.group,
  prompts: RL_DEFAULTS.tiny.promptsPerStep,
  rlLr: RL_DEFAULTS.tiny.lr,
  beta: RL_DEFAULTS.tiny.beta,
  temperature: RL_DEFAULTS.tiny.temperature,
  topP: RL_DEFAULTS.tiny.topP,
  modes: ALL_MODES,
  questions: 210,
  judge: 'rules',
};

function parseArgs(argv: string[]): ExperimentArgs {
  const a: ExperimentArgs = { ...EXPERIMENT_DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${flag}: a value is missing`);
    const n = Number(v);
    const pos = () => {
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number (got ${v})`);
      return n;
    };
    const int = () => {
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer (got ${v})`);
      return n;
    };
    switch (flag) {
      case '--preset': if (v !== 'tiny' && v !== 'demo') throw new Error('--preset: tiny or demo'); a.preset = v; break;
      case '--seeds': a.seeds = v.split(',').map((s) => { const x = Number(s); if (!Number.isInteger(x)) throw new Error(`--seeds: '${s}' is not an integer`); return x; }); break;
      case '--out': a.out = v; break;
      case '--sft-steps': a.sftSteps = int(); break;
      case '--rl-steps': a.rlSteps = int(); break;
      case '--group': a.group = int(); break;
      case '--prompts': a.prompts = int(); break;
      case '--rl-lr': a.rlLr = pos(); break;
      case '--beta': if (!(n >= 0)) throw new Error('--beta: expected a number ≥ 0'); a.beta = n; break;
      case '--temperature': a.temperature = pos(); break;
      case '--top-p': if (!(n > 0 && n <= 1)) throw new Error('--top-p: in (0, 1]'); a.topP = n; break;
      case '--modes': a.modes = v.split(','); for (const m of a.modes) if (!ALL_MODES.includes(m)) throw new Error(`--modes: unknown mode '${m}' (${ALL_MODES.join(', ')})`); break;
      case '--questions': a.questions = int(); break;
      case '--data-seed': a.dataSeed = int(); break;
      case '--judge': if (!isRlJudgeName(v)) throw new Error(`--judge: unknown judge '${v}' (${RL_JUDGE_NAMES.join(', ')})`); a.judge = v; break;
      default: throw new Error(`unknown option ${flag} (see the header of scripts/experiment.ts)`);
    }
  }
  if (!a.modes.includes('grpo')) throw new Error('--modes must include grpo: every arm is compared with it');
  checkOutputFolder(a.out, '--out'); // before Vite, the data and the GPU: a bad --out costs no training
  return a;
}

interface ArmRun {
  seed: number;
  arm: string;
  report: import('../src/train/heldout').HeldOutReport;
  answer: number[];
  judge: number[];
  curve?: { step: number; perception: number; reasoning: number; perceptionAccuracy: number; reasoningAccuracy: number; collapsedBoth: number; groups: number }[];
  minutes: number;
}

export async function main(args: ExperimentArgs): Promise<void> {
  const { join } = await import('node:path');
  const { makeConfig, modelDims } = await import('../src/model/config');
  const { nodeGpu } = await import('../src/gpu/node-gpu');
  const { acquireDevice } = await import('../src/gpu/device');
  const { GpuModel, createModelKernels } = await import('../src/model/model');
  const { Decoder } = await import('../src/model/generate');
  const { SftTrainer } = await import('../src/train/sft');
  const { RlTrainer } = await import('../src/train/rl');
  const { syntheticRlPrompts, sftSampleOf, PRESET_SYNTHETIC, PRESET_VIDEOS } = await import('../src/train/rl_data');
  const { evaluateHeldOut, heldOutPrompts, HELD_OUT_SEED, EVAL_ROWS } = await import('../src/train/heldout');
  const { flatFromTensors } = await import('../src/train/checkpoint');
  const { paramLayout } = await import('../src/model/params');
  const { pairedDifference } = await import('../src/train/experiment_stats');
  const { experimentMarkdown, rewardCurvesSvg } = await import('../src/train/experiment_report');
  const { rlJudge } = await import('../src/train/self_answer');

  // Writes are synchronous, so a signal handled here never meets a half-written file.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      const done = runs.map((r) => `seed ${r.seed} ${r.arm}`).join(', ') || 'none';
      process.stderr.write(
        `experiment: interrupted (${signal}); ${runs.length ? `${join(args.out, 'experiment.json')}, experiment.md and reward_curves.svg hold the runs finished (${done})` : 'no run had finished, nothing was written'}; ` +
          'the experiment has no resume: run it again (fewer --seeds or --modes do less)\n',
      );
      process.exit(code);
    });
  }
  const ctx = await acquireDevice({ gpu: await nodeGpu() });
  console.log(`adapter: ${ctx.summary.description}${ctx.summary.isFallback ? ' (CPU fallback)' : ''}`);
  const spec = PRESET_SYNTHETIC[args.preset];
  const trainPrompts = syntheticRlPrompts(PRESET_VIDEOS[args.preset], 1, spec);
  const dataSeed = args.dataSeed ?? HELD_OUT_SEED;
  const evalPrompts = heldOutPrompts(args.questions, spec, dataSeed);
  const runs: ArmRun[] = [];
  const t0 = performance.now();
  const base = makeConfig(args.preset);
  const kernels = await createModelKernels(ctx.device, [base.model.width / base.model.heads]);
  const maxNewTokens = modelDims(base.model).maxT;
  // One evaluation model for every arm: each evaluation writes that arm's parameters into it.
  const layout = paramLayout(base.model);
  const evalModel = await GpuModel.create(ctx.device, base.model, layout, { batchSize: EVAL_ROWS, init: new Float32Array(layout.total), train: base.train, kernels, label: 'eval' });
  const evalDecoder = Decoder.create(evalModel);
  const evaluate = async (params: Float32Array) => {
    ctx.device.queue.writeBuffer(evalModel.buffers.params, 0, params);
    const { report, items } = await evaluateHeldOut(evalDecoder, evalPrompts, { maxNewTokens });
    return { report, answer: items.map((i) => i.answer), judge: items.map((i) => i.judge) };
  };
  const save = () => {
    const json = summary();
    // The three files as one unit: written to temporary names, renamed when all are complete.
    const files = [
      ['experiment.json', JSON.stringify(json, null, 1)],
      ['experiment.md', experimentMarkdown(json)],
      ['reward_curves.svg', rewardCurvesSvg(json)],
    ] as const;
    try {
      writeFilesAtomic(files.map(([name, text]) => [join(args.out, name), text] as const));
    } catch (e) {
      if (!(e instanceof IoError)) throw e;
      const rescued = rescueCopy('experiment', files);
      throw new IoError(`${e.message}; the experiment stopped; ${rescued ? `the results so far were saved to ${rescued} instead` : 'the results so far could not be saved elsewhere either'}`);
    }
  };
  const summary = () => {
    const arms = ['SFT', ...args.modes];
    const complete = args.seeds.filter((s) => arms.every((a) => runs.some((r) => r.seed === s && r.arm === a)));
    const scores = (arm: string, key: 'answer' | 'judge') => complete.map((s) => runs.find((r) => r.seed === s && r.arm === arm)![key]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      command: `npm run experiment -- ${process.argv.slice(2).join(' ')}`.trim(),
      settings: { ...args, dataSeed },
      adapter: ctx.summary.description,
      minutes: (performance.now() - t0) / 60000,
      seedsComplete: complete,
      arms: arms.map((arm) => {
        const rs = runs.filter((r) => r.arm === arm && complete.includes(r.seed));
        const diff = (key: 'answer' | 'judge') => (complete.length && arm !== 'grpo' ? pairedDifference(scores(arm, key), scores('grpo', key)) : null);
        const families = Object.keys(rs[0]?.report.by_family ?? {});
        return {
          arm,
          answer_accuracy: mean(rs.map((r) => r.report.answer_accuracy)),
          perception_judge_accuracy: mean(rs.map((r) => r.report.perception_judge_accuracy)),
          format_perception: mean(rs.map((r) => r.report.format_perception)),
          format_reasoning: mean(rs.map((r) => r.report.format_reasoning)),
          by_family: Object.fromEntries(families.map((f) => [f, { answer_accuracy: mean(rs.map((r) => r.report.by_family[f].answer_accuracy)), perception_judge_accuracy: mean(rs.map((r) => r.report.by_family[f].perception_judge_accuracy)) }])),
          vs_grpo: { answer_accuracy: diff('answer'), perception_judge_accuracy: diff('judge') },
        };
      }),
      runs: runs.map(({ answer, judge, ...r }) => ({ ...r, answer, judge })),
    };
  };

  for (const seed of args.seeds) {
    const sftConfig = makeConfig(args.preset, { train: { seed, steps: args.sftSteps, warmupSteps: Math.min(base.train.warmupSteps, Math.max(1, Math.floor(args.sftSteps / 10))) } });
    const s0 = performance.now();
    const sft = await SftTrainer.create(ctx.device, sftConfig, { samples: trainPrompts.map(sftSampleOf), kernels });
    await sft.run(args.sftSteps);
    const ckpt = await sft.checkpoint({ seed: String(seed) });
    const sftEval = await evaluate(flatFromTensors(sft.layout, ckpt.tensors));
    sft.model.buffers.params.destroy();
    runs.push({ seed, arm: 'SFT', ...sftEval, minutes: (performance.now() - s0) / 60000 });
    console.log(`seed ${seed} SFT ${args.sftSteps} steps (loss ${sft.log.at(-1)!.loss.toFixed(3)}): answer ${sftEval.report.answer_accuracy.toFixed(3)}, judge ${sftEval.report.perception_judge_accuracy.toFixed(3)} (${((performance.now() - s0) / 60000).toFixed(1)} min)`);
    save();
    for (const mode of args.modes) {
      const r0 = performance.now();
      // The same RL seed for every arm: the same prompts in the same order and the same sampler seeds.
      const rlConfig = makeConfig(args.preset, { train: { seed, steps: args.rlSteps, lr: args.rlLr, warmupSteps: 1 } });
      const rl = await RlTrainer.create(ctx.device, rlConfig, {
        prompts: trainPrompts,
        mode,
        group: args.group,
        promptsPerStep: args.prompts,
        sampling: { maxNewTokens, temperature: args.temperature, topP: args.topP },
        loss: { beta: args.beta },
        judge: rlJudge(args.judge),
        resume: ckpt,
        kernels,
        onWarning: (m) => console.warn(m),
      });
      await rl.run(args.rlSteps);
      const e = await evaluate(await rl.policy.readParams());
      const curve = rl.log.map((l) => ({
        step: l.step,
        perception: l.rewards.perception.total,
        reasoning: l.rewards.reasoning.total,
        perceptionAccuracy: l.rewards.perception.accuracy,
        reasoningAccuracy: l.rewards.reasoning.accuracy,
        collapsedBoth: l.collapsed.both,
        groups: l.collapsed.groups,
      }));
      runs.push({ seed, arm: mode, ...e, curve, minutes: (performance.now() - r0) / 60000 });
      const first = curve[0];
      const last = curve.at(-1)!;
      console.log(
        `seed ${seed} ${mode}: answer ${e.report.answer_accuracy.toFixed(3)}, judge ${e.report.perception_judge_accuracy.toFixed(3)}; train R_P ${first.perception.toFixed(2)}→${last.perception.toFixed(2)}, R_R ${first.reasoning.toFixed(2)}→${last.reasoning.toFixed(2)} ` +
          `(${((performance.now() - r0) / 60000).toFixed(1)} min)`,
      );
      save();
    }
  }
  save();
  console.log(`\n${experimentMarkdown(summary())}`);
  console.log(`wrote ${join(args.out, 'experiment.json')}, experiment.md, reward_curves.svg (${((performance.now() - t0) / 60000).toFixed(1)} min)`);
  ctx.device.destroy();
}

await runSelfUnderVite('experiment', '/scripts/experiment.ts', () => parseArgs(process.argv.slice(2)));
