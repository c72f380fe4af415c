// Dataset import at Video-R1 scale (issue 16): a 100k-record JSON Lines file whose media are mostly
// missing (0.1% present) with ~200 bad records scattered through it. Times the page's import (the
// store's importFiles in Chromium: hashing, parsing, media lookup, IndexedDB shards and issue store)
// with media errors skipped and kept, and the CLI's code (checkImport) in Node on the same file;
// fails when a planted issue cannot be found by kind or the page's and the CLI's counts differ.
//
//   npm run bench -- --only dataset-import          (registered in bench/sections.ts)

import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import { noisyImportFixture, type ImportBenchOptions, type ImportBenchResult } from '../src/data/bench_import';
import { checkImport } from '../src/data/import_check';
import { MediaFolder, mediaPresenceLoader } from '../src/data/media';
import { summarize } from './stats';
import type { BenchRow, SectionBody } from './report';
import type { BenchContext } from './sections';

/** The CLI's code path in this process: checkImport with the presence loader, as `npm run dataset -- import` runs it. */
async function nodeImport(o: ImportBenchOptions): Promise<{ ms: number; counts: ImportBenchResult['counts'] }> {
  const fx = noisyImportFixture(o.records, o.presentEvery, o.seed);
  const blob = new Blob([fx.text]);
  const folder = new MediaFolder(fx.presentPaths.map((p) => ({ name: p.split('/').pop()!, webkitRelativePath: `media/${p.slice(2)}` }) as unknown as File));
  const t0 = performance.now();
  const m = await checkImport([{ name: 'bench-noisy.jsonl', size: blob.size, lastModified: 0, stream: () => blob.stream() }], { media: mediaPresenceLoader(folder), onMediaError: o.onMediaError });
  const { imported, skipped, keptWithoutMedia, byReason } = m.progress;
  return { ms: performance.now() - t0, counts: { imported, skipped, keptWithoutMedia, byReason } };
}

export async function runDatasetImportSection(ctx: BenchContext): Promise<SectionBody> {
  const { server } = ctx;
  if (!server.httpServer?.listening) await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a port');
  const records = ctx.config.preset === 'quick' ? 10_000 : 100_000;
  const repeats = ctx.config.preset === 'quick' ? 1 : 3;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${address.port}/?syntheticVideos=1#/datasets`);
    await page.waitForFunction(() => {
      const hook = (globalThis as { __p2rDatasets?: { store: { getState(): { status: string; job: unknown } } } }).__p2rDatasets;
      return hook && hook.store.getState().status === 'ready' && hook.store.getState().job === null;
    }, undefined, { timeout: 120_000 });
    for (const onMediaError of ['skip', 'keep'] as const) {
      const o: ImportBenchOptions = { records, presentEvery: 1000, seed: 16, onMediaError };
      const pageRuns: ImportBenchResult[] = [];
      const nodeRuns: Awaited<ReturnType<typeof nodeImport>>[] = [];
      for (let r = 0; r < repeats; r++) {
        ctx.log(`  ${onMediaError}: run ${r + 1}/${repeats}`);
        pageRuns.push(await page.evaluate((o) => (globalThis as unknown as { __p2rDatasets: { benchImport(o: object): Promise<ImportBenchResult> } }).__p2rDatasets.benchImport(o), o));
        nodeRuns.push(await nodeImport(o));
      }
      const last = pageRuns[pageRuns.length - 1];
      for (const [code, n] of Object.entries(last.planted)) if (last.found[code] !== n) failures.push(`dataset-import (${onMediaError}): ${n} ${code} planted, ${last.found[code]} found by kind`);
      if (JSON.stringify(last.counts) !== JSON.stringify(nodeRuns[0].counts)) failures.push(`dataset-import (${onMediaError}): page counts ${JSON.stringify(last.counts)} differ from the CLI's ${JSON.stringify(nodeRuns[0].counts)}`);
      const shape = `${records} records, 1 in 1000 media present, media errors ${onMediaError === 'skip' ? 'skipped' : 'kept'}`;
      const params = { records, presentEvery: 1000 };
      rows.push({
        kernel: 'dataset import (page: store.importFiles)',
        shape,
        params,
        repeats,
        ours: { label: 'page', wall: summarize(pageRuns.map((x) => x.importMs)) },
        note: `${last.counts.imported} imported, ${last.counts.skipped} skipped, ${last.counts.keptWithoutMedia} kept without media; every planted issue found by kind: ${Object.entries(last.planted).every(([c, n]) => last.found[c] === n) ? 'yes' : 'NO'}`,
      });
      rows.push({ kernel: 'dataset import (CLI code: checkImport, Node)', shape, params, repeats, ours: { label: 'node', wall: summarize(nodeRuns.map((x) => x.ms)) }, note: 'parses, validates, checks media presence; stores nothing' });
      rows.push({ kernel: 'issue report export (page)', shape, params, repeats, ours: { label: 'page', wall: summarize(pageRuns.map((x) => x.reportMs)) }, note: `${last.reportLines} JSON Lines` });
    }
    notes.push('dataset-import: the page runs on the Vite dev server (React in development mode); a production build is faster.');
  } finally {
    await browser.close();
  }
  return { rows, notes, failures };
}
