// Dataset storage benchmark (issue 4): in Chromium's real IndexedDB, the same samples stored as
// shards and as one record per sample; import throughput, sequential / shuffled / random read
// throughput, and the shard-over-per-sample ratios (target: shard reads >= 10x).
// "read" is the streaming reader's output (records + lazy frame references); "read + frame bytes"
// also loads every frame's bytes, reported beside it so the cost of the frames is not hidden.
//
//   npm run bench -- --only datasets          (registered in bench/sections.ts)
//   benchDatasets(page)                       (a playwright Page already on the app), or
//   benchDatasets('http://localhost:5173/')   (launches its own headless Chromium)
// The page side is src/data/bench_storage.ts, reached through window.__p2rDatasets.bench.

import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import type { StorageBenchOptions, StorageBenchResult } from '../src/data/bench_storage';
import { summarize } from './stats';
import { withRatios, type BenchRow, type SectionBody } from './report';
import type { BenchContext } from './sections';


export interface DatasetBenchFigures {
  options: StorageBenchOptions;
  megabytes: number;
  /** Medians over the repeats. */
  import: { shardsSamplesPerSec: number; perSampleSamplesPerSec: number; shardsMBPerSec: number; ratio: number };
  sequential: { shardsSamplesPerSec: number; perSampleSamplesPerSec: number; ratio: number };
  shuffled: { shardsSamplesPerSec: number; perSampleSamplesPerSec: number; ratio: number };
  /** The same epochs with every frame's bytes loaded. */
  sequentialBytes: { shardsSamplesPerSec: number; perSampleSamplesPerSec: number; ratio: number };
  shuffledBytes: { shardsSamplesPerSec: number; perSampleSamplesPerSec: number; ratio: number };
  random: { shardsSamplesPerSec: number; perSampleSamplesPerSec: number; ratio: number };
  /** Shard streaming reads (sequential and shuffled, frames as references) at least 10x the per-sample layout. */
  meetsTarget: boolean;
  /** The same with every frame's bytes loaded. */
  meetsTargetWithBytes: boolean;
  complete: boolean;
  raw: StorageBenchResult;
}

const median = (xs: number[]) => summarize(xs).median;

/** Runs the in-page benchmark and returns JSON-able figures. */
export async function benchDatasets(target: Page | string, options: Partial<StorageBenchOptions> = {}): Promise<DatasetBenchFigures> {
  let close: (() => Promise<void>) | null = null;
  let page: Page;
  if (typeof target === 'string') {
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    close = () => browser.close();
    page = await browser.newPage();
    // A one-video default dataset, so first-load generation does not compete with the benchmark.
    const url = new URL(target);
    url.searchParams.set('syntheticVideos', '1');
    await page.goto(url.toString());
  } else page = target;
  try {
    await page.waitForFunction(() => {
      const hook = (globalThis as { __p2rDatasets?: { store: { getState(): { status: string; job: unknown } } } }).__p2rDatasets;
      return hook && hook.store.getState().status === 'ready' && hook.store.getState().job === null;
    }, undefined, { timeout: 120_000 });
    const raw: StorageBenchResult = await page.evaluate((o) => (globalThis as unknown as { __p2rDatasets: { bench(o: object): Promise<StorageBenchResult> } }).__p2rDatasets.bench(o), options);
    const n = raw.options.samples;
    const rate = (ms: number[], count = n) => count / (median(ms) / 1000);
    const pair = (x: { shards: number[]; perSample: number[] }, count = n) => ({ shardsSamplesPerSec: rate(x.shards, count), perSampleSamplesPerSec: rate(x.perSample, count), ratio: median(x.perSample) / median(x.shards) });
    const figures: DatasetBenchFigures = {
      options: raw.options,
      megabytes: raw.bytes / 1e6,
      import: { ...pair(raw.import), shardsMBPerSec: raw.bytes / 1e6 / (median(raw.import.shards) / 1000) },
      sequential: pair(raw.sequential),
      shuffled: pair(raw.shuffled),
      sequentialBytes: pair(raw.sequentialBytes),
      shuffledBytes: pair(raw.shuffledBytes),
      random: pair(raw.random, raw.options.randomReads),
      meetsTarget: false,
      meetsTargetWithBytes: false,
      complete: raw.complete,
      raw,
    };
    figures.meetsTarget = figures.sequential.ratio >= 10 && figures.shuffled.ratio >= 10;
    figures.meetsTargetWithBytes = figures.sequentialBytes.ratio >= 10 && figures.shuffledBytes.ratio >= 10;
    return figures;
  } finally {
    await close?.();
  }
}

/** The `datasets` section of `npm run bench`: the app from this run's dev server, in a fresh Chromium. */
export async function runDatasetsSection(ctx: BenchContext): Promise<SectionBody> {
  const { server } = ctx;
  if (!server.httpServer?.listening) await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a port');
  const quick = ctx.config.preset === 'quick';
  const options: Partial<StorageBenchOptions> = quick ? { samples: 600, repeats: 2, randomReads: 100 } : { repeats: ctx.config.repeats };
  const url = `http://localhost:${address.port}/#/datasets`;
  // Two workloads: text-only records (the VideoP2R release without media) and records with frames.
  const textOnly = await benchDatasets(url, { ...options, frames: 0 });
  const withFrames = await benchDatasets(url, options);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const [label, f] of [
    ['text only', textOnly],
    ['with frames', withFrames],
  ] as const) {
    const o = f.options;
    const shape = o.frames === 0 ? `${o.samples} samples, no frames, ${o.shardSamples}/shard` : `${o.samples} samples, ${o.frames}x${o.frameBytes} B frames, ${o.shardSamples}/shard`;
    const params = { samples: o.samples, frames: o.frames, frameBytes: o.frameBytes, shardSamples: o.shardSamples };
    const row = (kernel: string, x: { shards: number[]; perSample: number[] }, target?: number, note?: string): BenchRow =>
      withRatios({
        kernel,
        shape,
        params,
        repeats: x.shards.length,
        ours: { label: 'shards', wall: summarize(x.shards) },
        baseline: { label: 'one record per sample', wall: summarize(x.perSample) },
        ...(target ? { target } : {}),
        ...(note ? { note } : {}),
      });
    rows.push(
      row('IndexedDB import', f.raw.import, undefined, `${f.import.shardsSamplesPerSec.toFixed(0)} samples/s, ${f.import.shardsMBPerSec.toFixed(1)} MB/s (shards incl. SHA-256)`),
      row('IndexedDB sequential read', f.raw.sequential, 10, `${f.sequential.shardsSamplesPerSec.toFixed(0)} vs ${f.sequential.perSampleSamplesPerSec.toFixed(0)} samples/s`),
      row('IndexedDB shuffled epoch', f.raw.shuffled, 10, `${f.shuffled.shardsSamplesPerSec.toFixed(0)} vs ${f.shuffled.perSampleSamplesPerSec.toFixed(0)} samples/s`),
    );
    if (o.frames > 0)
      rows.push(
        row('IndexedDB sequential read + frame bytes', f.raw.sequentialBytes, undefined, `${f.sequentialBytes.shardsSamplesPerSec.toFixed(0)} vs ${f.sequentialBytes.perSampleSamplesPerSec.toFixed(0)} samples/s; every frame's bytes loaded (baseline: the same per-sample run)`),
        row('IndexedDB shuffled epoch + frame bytes', f.raw.shuffledBytes, undefined, `${f.shuffledBytes.shardsSamplesPerSec.toFixed(0)} vs ${f.shuffledBytes.perSampleSamplesPerSec.toFixed(0)} samples/s; every frame's bytes loaded (baseline: the same per-sample run)`),
      );
    rows.push(row('IndexedDB random single sample (cold)', f.raw.random, undefined, `${o.randomReads} reads incl. the sample's frame bytes; a shard head per sample: the layout's worst case`));
    const withBytes = o.frames > 0 ? `; with every frame's bytes loaded: ${f.sequentialBytes.ratio.toFixed(1)}x sequential, ${f.shuffledBytes.ratio.toFixed(1)}x shuffled (${f.meetsTargetWithBytes ? 'also >= 10x' : 'below 10x'})` : '';
    notes.push(`datasets (${label}): ${f.megabytes.toFixed(1)} MB per layout; ratio = per-sample ms / shard ms; target >= 10x on streaming reads (samples with lazy frame references): ${f.meetsTarget ? 'met' : 'NOT met'}${withBytes}.`);
  }
  return {
    rows,
    notes,
    failures: textOnly.complete && withFrames.complete ? [] : ['datasets: a layout did not read back every sample exactly once'],
  };
}

// `npx tsx bench/datasets.ts http://localhost:5173/` against a running app prints the figures as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2] ?? 'http://localhost:5173/';
  benchDatasets(url).then(
    (f) => console.log(JSON.stringify({ ...f, raw: undefined }, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
