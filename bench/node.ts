// The Node section of `npm run bench`: our kernels against their WGSL baselines on Dawn (the `webgpu`
// package; SwiftShader on a machine without a GPU), one device, one run. Loaded by scripts/bench.mjs
// through Vite's SSR module loader, so the kernels' `?raw` WGSL imports resolve as in the app.

import { Attention, ATTENTION_HEAD_DIMS } from '../src/gpu/kernels/attention';
import { Matmul } from '../src/gpu/kernels/matmul';
import { MatmulNaive } from './kernels/matmul_naive';
import type { AttentionUnfused } from './kernels/attention_unfused';
import { attentionLabel, attentionRepeats, matmulLabel, type BenchConfig } from './config';
import { benchAttentionVsUnfused } from './cases/attention';
import { benchMatmulVsNaive } from './cases/matmul';
import type { BenchRow, SectionBody } from './report';
import { formatMs, formatRatio } from './stats';
import { openNodeSection } from './node_device';

/** One progress line per finished row, so a long run shows it is alive. */
export function progressLine(row: BenchRow, seconds: number): string {
  if (row.skipped) return `  ${row.kernel} ${row.shape}: ${row.skipped}`;
  const base = row.baseline ? ` vs ${formatMs(row.baseline.wall.median)} ms → ${formatRatio(row.ratio)}` : '';
  return `  ${row.kernel} ${row.shape}: ours ${formatMs(row.ours?.wall.median)} ms${base} (${seconds.toFixed(1)} s)`;
}

export async function runNodeKernels(config: BenchConfig, log: (line: string) => void): Promise<SectionBody> {
  const section = await openNodeSection(log);
  const { ctx, result } = section;
  const { device, summary } = ctx;
  const headDims = config.attention.D.filter((D) => (ATTENTION_HEAD_DIMS as readonly number[]).includes(D));
  for (const D of config.attention.D) if (!headDims.includes(D)) result.failures.push(`attention: head dim ${D} unsupported (${ATTENTION_HEAD_DIMS.join(', ')})`);

  const [attention, matmul, naive] = await Promise.all([Attention.create(device, headDims), Matmul.create(device), MatmulNaive.create(device)]);
  // The baseline is owned by other engineers: a missing or broken one must not stop the other rows.
  let unfused: AttentionUnfused | undefined;
  try {
    const mod = await import('./kernels/attention_unfused');
    unfused = await mod.AttentionUnfused.create(device);
  } catch (e) {
    result.notes.push(`attention baseline unavailable (${(e as Error).message}): ours checked against the CPU reference and timed alone`);
  }

  const track = async (name: string, run: () => Promise<BenchRow>) => {
    const t0 = performance.now();
    try {
      const row = await run();
      result.rows.push(row);
      if (row.skipped) result.failures.push(`${row.kernel} ${row.shape}: ${row.skipped}`);
      log(progressLine(row, (performance.now() - t0) / 1000));
    } catch (e) {
      result.failures.push(`${name}: crashed: ${(e as Error).stack ?? e}`);
      log(`  ${name}: CRASHED: ${(e as Error).message}`);
    }
  };

  const { B, H } = config.attention;
  for (const T of config.attention.T) {
    for (const D of headDims) {
      const s = { B, T, H, D };
      const repeats = attentionRepeats(config, T);
      await track(`attention fwd+bwd ${attentionLabel(s)}`, () =>
        benchAttentionVsUnfused(device, { ours: attention, unfused }, s, { repeats, warmup: config.warmup, seed: config.seed }),
      );
    }
  }
  for (const shape of config.matmul) {
    await track(`matmul ${matmulLabel(shape)}`, () =>
      benchMatmulVsNaive(device, { ours: matmul, naive }, shape, { repeats: config.repeats, warmup: config.warmup, seed: config.seed }),
    );
  }

  const long = config.attention.T.filter((T) => T >= config.longT);
  if (long.length && config.longRepeats !== config.repeats) {
    result.notes.push(`attention at T >= ${config.longT} uses ${config.longRepeats} repeats (others ${config.repeats}): each repeat takes seconds on SwiftShader`);
  }
  result.notes.push(
    `timing: ${config.warmup} warm-up run(s) per side, then ours and the baseline alternate; wall = encode → submit → onSubmittedWorkDone; ` +
      `gpu ratio from timestamp queries at each compute pass's start and end${ctx.features.timestampQuery ? '' : ' (not available on this device)'}`,
  );
  if (summary.isFallback) {
    result.notes.push(`${summary.description} runs WebGPU on the CPU: absolute times are CPU times; only the ratios say something about the kernels, and even they can differ on a real GPU`);
  }
  device.destroy();
  return section.finish();
}
