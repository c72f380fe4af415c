// The registry of benchmark sections that `npm run bench` runs, in order. Each section is a name
// (for `--only NAME`), a title for the printed table, and a `run` that returns rows (see
// bench/report.ts: BenchRow) plus notes and failures; the runner times it, turns a throw into a
// failure, prints its table and puts it in bench/results/<date>-kernels.json.
//
// To add a section (dataset import throughput, training step time, ...):
//   1. write bench/<name>.ts exporting `async function run<Name>(config, log): Promise<SectionBody>`;
//      a row needs only `kernel`, `shape`, `params`, `repeats` and `ours` (a `baseline` gives a ratio;
//      use stats.summarize for medians and timing.asyncSampler/timeInterleaved for repeats);
//   2. append `{ name, title, run: (ctx) => runName(ctx.config, ctx.log) }` to SECTIONS below.
// A section that needs a page can reuse ctx.server (the Vite dev server of this run) as
// bench/browser/run.ts does. Failures (wrong numbers, crashes) make the run exit non-zero; slow
// figures never do.

import type { ViteDevServer } from 'vite';
import type { BenchConfig } from './config';
import type { SectionBody, SectionResult } from './report';

export interface BenchContext {
  config: BenchConfig;
  /** The dev server of this run (serves the repository root, so `?raw` and TS imports work). */
  server: ViteDevServer;
  log: (line: string) => void;
}

export interface BenchSection {
  name: string;
  title: string;
  /** Runs only when named (--only NAME, or its own flag), not in a plain `npm run bench`. */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<SectionBody>;
}

export const SECTIONS: BenchSection[] = [
  {
    name: 'node',
    title: 'Node (Dawn): ours vs WGSL baselines (attention: forward + backward)',
    run: async (ctx) => (await import('./node')).runNodeKernels(ctx.config, ctx.log),
  },
  {
    name: 'browser',
    title: 'Chromium: ours vs onnxruntime-web (webgpu EP), forward only',
    run: async (ctx) => (await import('./browser/run')).runBrowserKernels(ctx),
  },
  {
    name: 'datasets',
    title: 'Chromium IndexedDB: dataset shards vs one record per sample',
    run: async (ctx) => (await import('./datasets')).runDatasetsSection(ctx),
  },
  {
    name: 'dataset-import',
    title: 'Chromium IndexedDB + Node: a 100k-record Video-R1 import with mostly missing media (page and CLI code)',
    run: async (ctx) => (await import('./dataset_import')).runDatasetImportSection(ctx),
  },
  {
    name: 'inspector',
    title: 'Chromium: rollout inspector on a 100k-rollout run (open, key → next rollout, filter)',
    run: async (ctx) => (await import('./inspector')).runInspectorSection(ctx),
  },
  {
    name: 'training',
    title: 'Node (Dawn): SFT and RL step time, tokens/s, per-kernel GPU time (timestamp queries)',
    run: async (ctx) => (await import('./training')).runTrainingSection(ctx.config, ctx.log),
  },
  {
    name: 'tfjs',
    title: 'Chromium: our SFT step vs the same transformer in TensorFlow.js (webgpu backend), same adapter',
    run: async (ctx) => (await import('./tfjs')).runTfjsSection(ctx),
  },
  {
    name: 'jaxjs',
    title: 'Chromium: our SFT step vs the same transformer in jax-js and TensorFlow.js (webgpu), same adapter, interleaved',
    run: async (ctx) => (await import('./jaxjs')).runJaxjsSection(ctx),
  },
  {
    name: 'gpu-report',
    title: 'Node (Dawn): GPU report — matmul GFLOP/s vs f32 peak, SFT tokens/s (tiny, demo), f16 vs f32',
    optIn: true, // `npm run bench -- --gpu-report`
    run: async (ctx) => (await import('./gpu_report')).runGpuReport(ctx.config, ctx.log),
  },
];

/** The sections `only` names, in registry order; none named: every section but the opt-in ones. */
export function selectSections(only: readonly string[]): BenchSection[] {
  const unknown = only.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  return SECTIONS.filter((s) => (only.length === 0 ? !s.optIn : only.includes(s.name)));
}

/** Runs the selected sections in order; a section that throws becomes a failure, not a crash. */
export async function runSections(ctx: BenchContext): Promise<SectionResult[]> {
  const selected = selectSections(ctx.config.only);
  const results: SectionResult[] = [];
  for (const section of selected) {
    ctx.log(`\n[${section.name}] ${section.title}`);
    const t0 = performance.now();
    let body: SectionBody;
    try {
      body = await section.run(ctx);
    } catch (e) {
      body = { rows: [], notes: [], failures: [`section crashed: ${(e as Error).stack ?? e}`] };
      ctx.log(`  CRASHED: ${(e as Error).message}`);
    }
    results.push({ name: section.name, title: section.title, ...body, seconds: (performance.now() - t0) / 1000 });
  }
  return results;
}
