// The import benchmark (issue 16): a Video-R1 JSON Lines file whose media are mostly missing, with
// bad records scattered through it (MissingField, UnknownProblemType, InvalidField, InvalidJson),
// imported through the page's store; timed, then every non-media issue looked up by kind. The same
// generator feeds the Node side (checkImport, the CLI's code) in bench/dataset_import.ts.

import type { ImportIssue } from './types';

export interface ImportFixture {
  text: string;
  /** Media paths that exist (relative, as in the records). */
  presentPaths: string[];
  /** Non-media issues the generator planted, per code. */
  planted: Record<string, number>;
}

/** mulberry32: a small seeded PRNG, so the Node and page sides build the same file. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `records` image records; one in `presentEvery` has its media; about 0.2% are bad in one of four ways. */
export function noisyImportFixture(records: number, presentEvery = 1000, seed = 16): ImportFixture {
  const rand = prng(seed);
  const planted: Record<string, number> = { MissingField: 0, UnknownProblemType: 0, InvalidField: 0, InvalidJson: 0 };
  const presentPaths: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < records; i++) {
    const path = `./images/${i}.png`;
    if (i % presentEvery === 0) presentPaths.push(path);
    const r: Record<string, unknown> = { problem_id: i, problem: `Which colour is shown in clip ${i}?`, data_type: 'image', problem_type: 'numerical', solution: `<answer>${i}</answer>`, path, data_source: 'bench' };
    const k = rand();
    if (k < 0.0005) (delete r.solution, planted.MissingField++);
    else if (k < 0.001) (r.problem_type = 'essay', planted.UnknownProblemType++);
    else if (k < 0.0015) (r.problem = 7, planted.InvalidField++);
    else if (k < 0.002) {
      planted.InvalidJson++;
      lines.push(`{"problem_id": ${i}, "problem": "cut`);
      continue;
    }
    lines.push(JSON.stringify(r));
  }
  return { text: lines.join('\n') + '\n', presentPaths, planted };
}

/** What the benchmark needs of the datasets store (src/store/datasets.ts; this layer cannot import it). */
export interface ImportBenchStore {
  getState(): {
    datasets: { id: string; name: string; progress: { state: string; imported: number; skipped: number; keptWithoutMedia: number; byReason: Record<string, number> } }[];
    importFiles(request: { files: File[]; name?: string; mediaFiles?: File[]; onMediaError?: 'skip' | 'keep' }): Promise<void>;
    issues(id: string, opts?: { code?: string }): Promise<ImportIssue[]>;
    issueReport(id: string): Promise<Blob>;
    remove(id: string): Promise<void>;
  };
}

export interface ImportBenchOptions {
  records: number;
  presentEvery: number;
  seed: number;
  onMediaError: 'skip' | 'keep';
}

export interface ImportBenchResult {
  options: ImportBenchOptions;
  /** From the click's equivalent (importFiles) to the complete manifest: hashing, parsing, media, storage. */
  importMs: number;
  /** Exporting the whole issue report. */
  reportMs: number;
  reportLines: number;
  counts: { imported: number; skipped: number; keptWithoutMedia: number; byReason: Record<string, number> };
  planted: Record<string, number>;
  /** Issues found in the store per planted code (each should equal `planted`). */
  found: Record<string, number>;
}

async function tinyPng(): Promise<Blob> {
  const canvas = new OffscreenCanvas(64, 48);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#0a0';
  ctx.fillRect(0, 0, 64, 48);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** In the page: imports the fixture through the store, times it, looks every planted issue up, deletes the dataset. */
export async function runImportBench(store: ImportBenchStore, options: ImportBenchOptions): Promise<ImportBenchResult> {
  const fx = noisyImportFixture(options.records, options.presentEvery, options.seed);
  const png = await tinyPng();
  const media = fx.presentPaths.map((p) => new File([png], p.split('/').pop()!, { type: 'image/png' }));
  const name = `bench-import-${options.onMediaError}-${Date.now()}`;
  const t0 = performance.now();
  await store.getState().importFiles({ files: [new File([fx.text], 'bench-noisy.jsonl')], name, mediaFiles: media, onMediaError: options.onMediaError });
  const importMs = performance.now() - t0;
  const m = store.getState().datasets.find((d) => d.name === name);
  if (!m || m.progress.state !== 'complete') throw new Error(`the benchmark import did not complete (${m?.progress.state ?? 'no dataset'})`);
  const found: Record<string, number> = {};
  for (const code of Object.keys(fx.planted)) found[code] = (await store.getState().issues(m.id, { code })).length;
  const t1 = performance.now();
  const report = await (await store.getState().issueReport(m.id)).text();
  const reportMs = performance.now() - t1;
  const { imported, skipped, keptWithoutMedia, byReason } = m.progress;
  await store.getState().remove(m.id);
  return { options, importMs, reportMs, reportLines: report.trimEnd().split('\n').length, counts: { imported, skipped, keptWithoutMedia, byReason }, planted: fx.planted, found };
}
