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
];

/** Runs the selected sections in order; a section that throws becomes a failure, not a crash. */
export async function runSections(ctx: BenchContext): Promise<SectionResult[]> {
  const unknown = ctx.config.only.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  const selected = SECTIONS.filter((s) => ctx.config.only.length === 0 || ctx.config.only.includes(s.name));
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
