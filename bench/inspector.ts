// Rollout inspector benchmark (issue 6), in Chromium with playwright-core against the app:
//   - import of a 100k-rollout verl run (20 step files × 625 prompts × G = 8), for information;
//   - time to open the run: from setting the hash of a group URL on a freshly loaded page to the
//     group's rollouts painted (run metadata + group index + one group from IndexedDB); target < 1 s;
//   - key press → next rollout painted, p95 over j/k within groups and ] across groups; target < 16 ms;
//   - time to apply a filter expression (off the main thread, in the filter worker), cold and warm.
//
//   npm run bench -- --only inspector        (registered in bench/sections.ts)
//   npx tsx bench/inspector.ts http://localhost:5173/   (against a running app; prints JSON)
//
// The section measures the PRODUCTION build (what users get): it runs `vite build` into a temporary
// outDir and serves that with `vite preview` on localhost. The dev server would run React's
// development build (jsxDEV, extra checks), several times slower on the key-press path.
// P2R_INSPECTOR_DEV=1 measures the bench runner's dev server instead (the old behaviour).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import { summarize, type Summary } from './stats';
import type { BenchRow, SectionBody } from './report';
import type { BenchContext } from './sections';


export interface InspectorBenchOptions {
  steps: number;
  prompts: number;
  G: number;
  keyPresses: number;
  openRepeats: number;
}
export const DEFAULT_OPTIONS: InspectorBenchOptions = { steps: 20, prompts: 625, G: 8, keyPresses: 300, openRepeats: 5 };

export interface InspectorBenchFigures {
  options: InspectorBenchOptions;
  rollouts: number;
  importMs: number;
  openMs: number[];
  keyMs: number[];
  groupKeyMs: number[];
  /** Key → DOM committed (the work the app does; 'painted' adds the wait for the next frame). */
  commitMs: number[];
  filterColdMs: number;
  filterWarmMs: number[];
  filterHits: number;
  summary: { open: Summary; key: Summary; keyP95: number; commitP95: number; filterWarm: Summary };
}

/** One verl `{step}.jsonl` of the synthetic run: observation/think/answer, perception and reasoning rewards. */
export function verlStep(step: number, o: InspectorBenchOptions): string {
  const lines: string[] = [];
  for (let p = 0; p < o.prompts; p++) {
    const prompt = `system\nYou are a video assistant.\nuser\nQuestion ${p}: which way does object ${p % 17} move? A. left B. right C. up D. down\nassistant\n`;
    for (let i = 0; i < o.G; i++) {
      const sees = (p + i + step) % 3 !== 0;
      const right = (p * 7 + i * 3 + step) % 4 !== 0;
      const ans = right ? 'A' : 'B';
      const output =
        `<observation>Based on the question, I need to notice the object ${p % 17}; it ${sees ? 'moves steadily to the left across frames 1-16' : 'is hard to see'}.</observation> ` +
        `<think>Based on the observations, the motion is ${sees ? 'leftward' : 'unclear'}, so the answer is ${ans}. Step ${step}, rollout ${i}.</think><answer>${ans}</answer>`;
      const perception = (sees ? 1 : 0) + 1 + (sees && i % 2 ? 0.2 : 0);
      const reasoning = (right ? 1 : 0) + 1;
      lines.push(JSON.stringify({ input: prompt, output, gts: 'A', score: perception + reasoning, step, perception, reasoning }));
    }
  }
  return lines.join('\n') + '\n';
}

// In-page code as source text: tsx (esbuild keepNames) would wrap a function argument in a __name
// helper the page does not have.
const OPEN_IN_PAGE = `function (h) {
  return new Promise(function (resolve) {
    var t = performance.now();
    location.hash = h;
    function poll() {
      if (document.querySelector('article.rollout.selected')) requestAnimationFrame(function () { resolve(performance.now() - t); });
      else requestAnimationFrame(poll);
    }
    poll();
  });
}`;

/** Presses j (and ] every G presses) by dispatching keydown; resolves the time to the new selection painted. */
const KEYS_IN_PAGE = `function (presses, G) {
  return new Promise(function (resolve) {
    var out = [];
    function selected() { return document.querySelector('article.rollout.selected'); }
    function sig() {
      var g = document.querySelector('[data-testid="group-id"]');
      return location.hash + '|' + (selected() && selected().getAttribute('data-sample')) + '|' + (g && g.textContent);
    }
    var n = 0;
    function next() {
      if (n >= presses) return resolve(out);
      var key = n % G === G - 1 ? ']' : 'j';
      var before = sig();
      var t = performance.now();
      var committed = NaN;
      dispatchEvent(new KeyboardEvent('keydown', { key: key, bubbles: true }));
      function done() {
        var sel = selected();
        return sig() !== before && sel && sel.getAttribute('data-sample') === location.hash.split('?')[0].split('/sample/')[1];
      }
      // DOM committed: checked after the event's microtasks (React flushes discrete updates there),
      // then on every frame until the new selection is in the DOM; painted = the frame after commit.
      function poll() {
        if (done()) {
          if (isNaN(committed)) committed = performance.now() - t;
          requestAnimationFrame(function () { out.push({ key: key, ms: performance.now() - t, commit: committed }); n++; setTimeout(next, 0); });
        } else requestAnimationFrame(poll);
      }
      Promise.resolve().then(function () { if (done()) committed = performance.now() - t; poll(); });
    }
    next();
  });
}`;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export async function benchInspector(target: Page | string, partial: Partial<InspectorBenchOptions> = {}, log: (l: string) => void = () => {}): Promise<InspectorBenchFigures> {
  const o = { ...DEFAULT_OPTIONS, ...partial };
  let close: (() => Promise<void>) | null = null;
  let page: Page;
  let base: string;
  if (typeof target === 'string') {
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    close = () => browser.close();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    base = new URL(target).origin + '/';
  } else {
    page = target;
    base = new URL(page.url()).origin + '/';
  }
  try {
    await page.goto(`${base}#/rollouts`);
    await page.getByTestId('runs-list').waitFor({ timeout: 60_000 });

    // Import (for information: parsing + grouping + IndexedDB writes of every rollout).
    const files = Array.from({ length: o.steps }, (_, s) => ({ name: `${s + 1}.jsonl`, mimeType: 'application/x-ndjson', buffer: Buffer.from(verlStep(s + 1, o)) }));
    const t0 = Date.now();
    await page.getByTestId('rollout-import').setInputFiles(files);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 600_000 });
    const importMs = Date.now() - t0;
    const runHash = new URL(page.url()).hash;
    log(`  imported ${o.steps * o.prompts * o.G} rollouts in ${(importMs / 1000).toFixed(1)} s`);
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    const groupUrl = page.url();

    // Open: fresh page on the runs list, then the group's hash; time to the rollouts painted.
    const openMs: number[] = [];
    for (let r = 0; r < o.openRepeats; r++) {
      await page.goto(`${base}#/rollouts`);
      await page.getByTestId('runs-list').waitFor();
      await page.waitForTimeout(200);
      const hash = new URL(groupUrl).hash;
      openMs.push(await page.evaluate<number>(`(${OPEN_IN_PAGE})(${JSON.stringify(hash)})`));
    }

    // Key → next rollout painted, measured in the page (no CDP round trip in the figure).
    const times = await page.evaluate<{ key: string; ms: number; commit: number }[]>(`(${KEYS_IN_PAGE})(${o.keyPresses}, ${o.G})`);
    const keyMs = times.filter((x) => x.key === 'j').map((x) => x.ms);
    const commitMs = times.map((x) => x.commit);
    const groupKeyMs = times.filter((x) => x.key === ']').map((x) => x.ms);

    // Filter: cold (the worker loads the run from IndexedDB) then warm.
    const applyFilter = async (expr: string) => {
      await page.getByTestId('filter').fill(expr);
      await page.getByTestId('apply-filter').click();
      const status = page.getByTestId('filter-status').filter({ hasText: 'match' });
      await status.waitFor({ timeout: 120_000 });
      const text = (await status.textContent()) ?? '';
      await page.getByRole('button', { name: 'clear' }).click();
      const m = /(\d+) rollouts match \((\d+) ms\)/.exec(text);
      return { hits: Number(m?.[1]), ms: Number(m?.[2]) };
    };
    const expr = 'perception < 1.5 and reasoning == 2';
    const cold = await applyFilter(expr);
    const warm: number[] = [];
    for (let r = 0; r < 5; r++) warm.push((await applyFilter(r % 2 ? 'adv.perception > 0 and completion contains "left"' : expr)).ms);
    void runHash;
    const rollouts = o.steps * o.prompts * o.G;
    return {
      options: o,
      rollouts,
      importMs,
      openMs,
      keyMs,
      groupKeyMs,
      commitMs,
      filterColdMs: cold.ms,
      filterWarmMs: warm,
      filterHits: cold.hits,
      summary: { open: summarize(openMs), key: summarize(times.map((x) => x.ms)), keyP95: quantile(times.map((x) => x.ms), 0.95), commitP95: quantile(commitMs, 0.95), filterWarm: summarize(warm) },
    };
  } finally {
    await close?.();
  }
}

/**
 * Builds the app (`vite build`, the repository's vite.config.ts) into a fresh temporary directory and
 * serves it with `vite preview` on localhost (a secure context); returns the URL and a cleanup.
 */
export async function servePreviewBuild(root: string, log: (l: string) => void = () => {}): Promise<{ url: string; close: () => Promise<void> }> {
  const outDir = mkdtempSync(join(tmpdir(), 'p2r-inspector-build-'));
  const cleanup = () => rmSync(outDir, { recursive: true, force: true });
  try {
    const t0 = performance.now();
    await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    log(`  production build in ${((performance.now() - t0) / 1000).toFixed(1)} s (${outDir})`);
    const server = await preview({ root, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
    const address = server.httpServer.address();
    if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
    return {
      // localhost (not 127.0.0.1) is a secure context, as in tests/browser/global-setup.ts.
      url: `http://localhost:${address.port}/`,
      close: async () => {
        await server.close();
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** The `inspector` section of `npm run bench`: the production build, or the dev server with P2R_INSPECTOR_DEV=1. */
export async function runInspectorSection(ctx: BenchContext): Promise<SectionBody> {
  const { server } = ctx;
  const dev = /^(1|true|yes)$/i.test(process.env.P2R_INSPECTOR_DEV ?? '');
  let url: string;
  let stop: (() => Promise<void>) | null = null;
  if (dev) {
    if (!server.httpServer?.listening) await server.listen();
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a port');
    url = `http://localhost:${address.port}/`;
    ctx.log(`  DEV server (React development build): ${url}`);
  } else {
    const served = await servePreviewBuild(server.config.root, ctx.log);
    url = served.url;
    stop = served.close;
    ctx.log(`  production build served by vite preview: ${url}`);
  }
  const quick = ctx.config.preset === 'quick';
  let f: InspectorBenchFigures;
  try {
    f = await benchInspector(url, quick ? { steps: 4, prompts: 250, keyPresses: 80, openRepeats: 2 } : {}, ctx.log);
  } finally {
    await stop?.();
  }
  const servedBuild = dev ? 'dev server (React development build)' : 'production build (vite build + vite preview)';
  const shape = `${f.rollouts} rollouts (${f.options.steps} steps × ${f.options.prompts} prompts × G=${f.options.G})`;
  const params = { rollouts: f.rollouts, steps: f.options.steps, prompts: f.options.prompts, G: f.options.G };
  const row = (kernel: string, ms: number[], target?: number, note?: string): BenchRow => ({
    kernel,
    shape,
    params,
    repeats: ms.length,
    ours: { label: 'inspector', wall: summarize(ms) },
    ...(note ? { note } : {}),
    ...(target ? { target } : {}),
  });
  const allKeys = [...f.keyMs, ...f.groupKeyMs];
  return {
    rows: [
      row('import verl run', [f.importMs], undefined, 'parse + group + IndexedDB writes'),
      row('open run (hash → group painted)', f.openMs, undefined, `target < 1000 ms; median ${f.summary.open.median.toFixed(0)} ms`),
      row('key → next rollout painted (j)', f.keyMs, undefined, `p95 ${quantile(f.keyMs, 0.95).toFixed(1)} ms`),
      row('key → next group painted (])', f.groupKeyMs, undefined, `p95 ${quantile(f.groupKeyMs, 0.95).toFixed(1)} ms (prefetched)`),
      row('key → DOM committed (j and ])', f.commitMs, undefined, `p95 ${quantile(f.commitMs, 0.95).toFixed(1)} ms: the app's own work, without the wait for the next frame`),
      row('apply filter (worker, warm)', f.filterWarmMs, undefined, `cold ${f.filterColdMs} ms (loads the run from IndexedDB); ${f.filterHits} hits`),
    ],
    notes: [
      `inspector: measured on the ${servedBuild}.`,
      `inspector: p95 key → next rollout painted ${quantile(allKeys, 0.95).toFixed(1)} ms, key → DOM committed ${quantile(f.commitMs, 0.95).toFixed(1)} ms (target < 16 ms: ${quantile(allKeys, 0.95) < 16 ? 'met' : 'NOT met'} painted, ${quantile(f.commitMs, 0.95) < 16 ? 'met' : 'NOT met'} committed); ` +
        `open ${f.summary.open.median.toFixed(0)} ms (target < 1000 ms: ${f.summary.open.median < 1000 ? 'met' : 'NOT met'}).`,
    ],
    failures: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchInspector(process.argv[2] ?? 'http://localhost:5173/', {}, console.log).then(
    (f) => console.log(JSON.stringify({ ...f, keyMs: undefined, groupKeyMs: undefined, commitMs: undefined }, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
