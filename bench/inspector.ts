// Rollout inspector benchmark (issues 6 and 11), in Chromium with playwright-core against the app:
//   - import of a 100k-rollout verl run (20 step files × 625 prompts × G = 8): parse, then IndexedDB;
//   - time to open the run: from setting the hash of a group URL on a freshly loaded page to the
//     group's rollouts painted (run metadata + group index + one group from IndexedDB); target < 1 s;
//   - key press → DOM committed and → next frame, j within groups and ] across groups;
//   - time to apply a filter expression (off the main thread, in the filter worker), cold and warm.
// Targets (issue 11): p95 key → DOM committed < 8 ms, p95 key → painted < 16 ms, filter < 50 ms,
// import < 5 s; the section prints each as met or missed, by how much, and what the time went to.
//
//   npm run bench -- --only inspector        (registered in bench/sections.ts)
//   P2R_INSPECTOR_BASELINE=<git ref> npm run bench -- --only inspector   (before/after in one run)
//   npx tsx bench/inspector.ts http://localhost:5173/   (against a running app; prints JSON)
//
// The section measures the PRODUCTION build (what users get): it runs `vite build` into a temporary
// outDir and serves that with `vite preview` on localhost. The dev server would run React's
// development build (jsxDEV, extra checks), several times slower on the key-press path.
// P2R_INSPECTOR_DEV=1 measures the bench runner's dev server instead (the old behaviour).
//
// Two compositors. Chromium launched as the tests launch it (scripts/chromium.ts: WebGPU on
// SwiftShader) composites every frame with SwiftShader's Vulkan in the GPU process, then reads it back
// (headless): a trace shows ~30-50 ms of GPU-process CPU per frame on the 2-core machine
// (ContextVk::finishImpl), whatever the page does. Chrome on a machine without a usable GPU composites
// in software instead. Key presses are therefore measured twice on the same profile (the run stays in
// IndexedDB): 'swiftshader' (the test flags) and 'software' (--disable-gpu-compositing).
// `npx tsx bench/inspector_profile.ts` breaks the time down (CPU profiles, traces).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import { quantile, summarize, type Summary } from './stats';
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

/** Issue 11's targets, in ms. */
export const TARGETS = { commitP95: 8, paintedP95: 16, filter: 50, import: 5000 } as const;

/** One key press: painted = the first animation frame after the commit (what the next frame shows). */
export interface KeyPress {
  key: 'j' | ']';
  painted: number;
  commit: number;
  /** The commit was in the DOM when the key's own task ended (else only at a later frame: the group was not loaded). */
  inTask: boolean;
}

export interface InspectorBenchFigures {
  options: InspectorBenchOptions;
  rollouts: number;
  /**
   * Import: from the file input's 'change' (the files are in the page) to the run's dashboard shown;
   * parse: to the import status saying 'saving' (read + parse + group). The bench's own transfer of
   * the files into the page (over CDP) is not counted.
   */
  importMs: number;
  importParseMs: number;
  openMs: number[];
  /** Key presses, composited as in the tests (SwiftShader's Vulkan in the GPU process). */
  keys: KeyPress[];
  /** The same presses composited in software (--disable-gpu-compositing), on the same profile. */
  keysSoftware: KeyPress[];
  /** Why keysSoftware is empty, if it is. */
  softwareError?: string;
  filterColdMs: number;
  filterWarmMs: number[];
  /** The worker's own part of each warm filter (NaN for a build that does not show it). */
  filterWarmWorkerMs: number[];
  /** The same warm filters with software compositing (no SwiftShader frames competing for the CPU). */
  filterSoftwareMs: number[];
  filterSoftwareWorkerMs: number[];
  filterHits: number;
  /** 1-minute load average of the machine before the measurement. */
  load: number;
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

/**
 * Presses j (and ] every G presses) by dispatching keydown; resolves each press's times. The view is
 * read from the DOM (group label, selected card), not from the URL, which the app writes coalesced.
 */
const KEYS_IN_PAGE = `function (presses, G) {
  return new Promise(function (resolve) {
    var out = [];
    function selected() { return document.querySelector('article.rollout.selected'); }
    function view() {
      var g = document.querySelector('[data-testid="group-id"]');
      var s = selected();
      return (g && g.textContent) + '|' + (s && s.getAttribute('data-sample'));
    }
    var n = 0;
    function next() {
      if (n >= presses) return resolve(out);
      var key = n % G === G - 1 ? ']' : 'j';
      var before = view();
      var t = performance.now();
      var committed = NaN;
      var inTask = false;
      dispatchEvent(new KeyboardEvent('keydown', { key: key, bubbles: true }));
      function done() { return selected() !== null && view() !== before; }
      // DOM committed: checked after the event's microtasks (React flushes discrete updates there),
      // then on every frame until the new selection is in the DOM; painted = the frame after commit.
      function poll() {
        if (done()) {
          if (isNaN(committed)) committed = performance.now() - t;
          requestAnimationFrame(function () { out.push({ key: key, painted: performance.now() - t, commit: committed, inTask: inTask }); n++; setTimeout(next, 0); });
        } else requestAnimationFrame(poll);
      }
      Promise.resolve().then(function () { if (done()) { committed = performance.now() - t; inTask = true; } poll(); });
    }
    next();
  });
}`;

/** Records the import status's changes in the page (window.__importLog), to split parse from save. */
const IMPORT_LOG_IN_PAGE = `function () {
  var log = (window.__importLog = []);
  var t0 = (log.t0 = performance.now());
  // The files reach the page (over CDP, from the bench) before the input fires 'change': the app's
  // import starts there.
  document.addEventListener('change', function () { log.push({ t: performance.now() - t0, text: 'change' }); }, true);
  new MutationObserver(function () {
    var el = document.querySelector('[data-testid="import-status"]');
    var text = el ? el.textContent || '' : '';
    if (!log.length || log[log.length - 1].text !== text) log.push({ t: performance.now() - t0, text: text });
    if (!log.dashboard && document.querySelector('[data-testid="run-dashboard"]')) log.dashboard = performance.now() - t0;
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}`;

async function launch(userDataDir: string, extraArgs: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const extra = (process.env.P2R_INSPECTOR_CHROMIUM_ARGS ?? '').split(/\s+/).filter(Boolean);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs, ...extra],
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

export async function benchInspector(url: string, partial: Partial<InspectorBenchOptions> = {}, log: (l: string) => void = () => {}): Promise<InspectorBenchFigures> {
  const o = { ...DEFAULT_OPTIONS, ...partial };
  const base = new URL(url).origin + '/';
  const profile = mkdtempSync(join(tmpdir(), 'p2r-inspector-profile-'));
  const load = loadavg()[0];
  let { context, page } = await launch(profile, []);
  try {
    await page.goto(`${base}#/rollouts`);
    await page.getByTestId('runs-list').waitFor({ timeout: 60_000 });

    // Import: parsing + grouping, then IndexedDB writes of every rollout.
    const files = Array.from({ length: o.steps }, (_, s) => ({ name: `${s + 1}.jsonl`, mimeType: 'application/x-ndjson', buffer: Buffer.from(verlStep(s + 1, o)) }));
    await page.evaluate(`(${IMPORT_LOG_IN_PAGE})()`);
    await page.getByTestId('rollout-import').setInputFiles(files);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 600_000 });
    const importLog = await page.evaluate<{ t: number; text: string }[]>(`window.__importLog.concat([{ t: window.__importLog.dashboard, text: 'dashboard' }])`);
    const at = (re: RegExp) => importLog.find((e) => re.test(e.text))?.t ?? NaN;
    const importMs = at(/^dashboard$/) - at(/^change$/);
    const importParseMs = at(/saving/) - at(/^change$/);
    log(`  imported ${o.steps * o.prompts * o.G} rollouts in ${(importMs / 1000).toFixed(1)} s (parse ${(importParseMs / 1000).toFixed(1)} s)`);
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    const groupHash = new URL(page.url()).hash;

    // Open: fresh page on the runs list, then the group's hash; time to the rollouts painted.
    const openMs: number[] = [];
    for (let r = 0; r < o.openRepeats; r++) {
      await page.goto(`${base}#/rollouts`);
      await page.getByTestId('runs-list').waitFor();
      await page.waitForTimeout(200);
      openMs.push(await page.evaluate<number>(`(${OPEN_IN_PAGE})(${JSON.stringify(groupHash)})`));
    }

    // Key → next rollout, measured in the page (no CDP round trip in the figure).
    const pressKeys = async () => {
      await page.waitForTimeout(500); // the group's neighbours prefetched, the filter worker warmed
      return page.evaluate<KeyPress[]>(`(${KEYS_IN_PAGE})(${o.keyPresses}, ${o.G})`);
    };
    const keys = await pressKeys();

    // Filter: cold (the worker loads the run from IndexedDB) then warm.
    const applyFilter = async (expr: string) => {
      await page.getByTestId('filter').fill(expr);
      await page.getByTestId('apply-filter').click();
      const status = page.getByTestId('filter-status').filter({ hasText: 'match' });
      await status.waitFor({ timeout: 120_000 });
      const text = (await status.textContent()) ?? '';
      await page.getByRole('button', { name: 'clear' }).click();
      const m = /(\d+) rollouts match \((\d+) ms(?:; worker (\d+) ms)?\)/.exec(text);
      return { hits: Number(m?.[1]), ms: Number(m?.[2]), workerMs: Number(m?.[3] ?? NaN) };
    };
    const expr = 'perception < 1.5 and reasoning == 2';
    const warmFilters = async () => {
      const ms: number[] = [];
      const workerMs: number[] = [];
      for (let r = 0; r < 6; r++) {
        const x = await applyFilter(r % 2 ? 'adv.perception > 0 and completion contains "left"' : expr);
        ms.push(x.ms);
        workerMs.push(x.workerMs);
      }
      return { ms, workerMs };
    };
    const cold = await applyFilter(expr);
    const { ms: warm, workerMs: warmWorker } = await warmFilters();
    await context.close();

    // The same key presses composited in software, on the same profile (the run is in IndexedDB).
    ({ context, page } = await launch(profile, ['--disable-gpu-compositing']));
    let keysSoftware: KeyPress[] = [];
    let filterSoftwareMs: number[] = [];
    let filterSoftwareWorkerMs: number[] = [];
    let softwareError: string | undefined;
    try {
      await page.goto(`${base}${groupHash}`);
      await page.getByTestId('rollout').first().waitFor({ timeout: 120_000 });
      keysSoftware = await pressKeys();
      await applyFilter(expr); // the worker reads the run
      ({ ms: filterSoftwareMs, workerMs: filterSoftwareWorkerMs } = await warmFilters());
    } catch (e) {
      softwareError = `${(e as Error).message.split('\n')[0]}; the page (${page.url()}) showed: ${String(await page.evaluate('document.body.innerText').catch(() => '?')).slice(0, 300)}`;
      log(`  software compositing not measured: ${softwareError}`);
    }
    return { options: o, rollouts: o.steps * o.prompts * o.G, importMs, importParseMs, openMs, keys, keysSoftware, filterColdMs: cold.ms, filterWarmMs: warm, filterWarmWorkerMs: warmWorker, filterSoftwareMs, filterSoftwareWorkerMs, filterHits: cold.hits, load, ...(softwareError ? { softwareError } : {}) };
  } finally {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
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

/**
 * A checkout of `ref` (git archive into a temporary directory, sharing this repository's node_modules),
 * to build the app as it was: the baseline of a before/after comparison in one run.
 */
export function checkoutRef(root: string, ref: string): { dir: string; commit: string; remove: () => void } {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), `p2r-inspector-${commit}-`));
  mkdirSync(dir, { recursive: true });
  execFileSync('bash', ['-c', `git archive ${commit} | tar -x -C "${dir}"`], { cwd: root });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { dir, commit, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const fmt = (ms: number) => (Number.isFinite(ms) ? (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) : '-');

/** 'met (margin X ms)' or 'MISSED by X ms (Y×)'. */
export function verdict(value: number, target: number): string {
  if (!Number.isFinite(value)) return 'not measured';
  return value < target ? `met (${fmt(target - value)} ms to spare)` : `MISSED by ${fmt(value - target)} ms (${(value / target).toFixed(1)}× the target)`;
}

interface KeyStats {
  paintedP95: number;
  commitP95: number;
  jPaintedMedian: number;
  groupPaintedMedian: number;
  commitJP95: number;
  commitGroupP95: number;
  /** Presses whose commit came only at a later frame (group not yet loaded). */
  late: number;
  /** Median of painted − commit: the wait for the next frame (compositor, vsync). */
  frameWait: number;
}

export function keyStats(keys: readonly KeyPress[]): KeyStats {
  const j = keys.filter((k) => k.key === 'j');
  const g = keys.filter((k) => k.key === ']');
  return {
    paintedP95: quantile(keys.map((k) => k.painted), 0.95),
    commitP95: quantile(keys.map((k) => k.commit), 0.95),
    jPaintedMedian: quantile(j.map((k) => k.painted), 0.5),
    groupPaintedMedian: quantile(g.map((k) => k.painted), 0.5),
    commitJP95: quantile(j.map((k) => k.commit), 0.95),
    commitGroupP95: quantile(g.map((k) => k.commit), 0.95),
    late: keys.filter((k) => !k.inTask).length,
    frameWait: quantile(keys.map((k) => k.painted - k.commit), 0.5),
  };
}

/** The targets of issue 11, each met or missed, by how much, and where the time went. */
export function targetLines(f: InspectorBenchFigures): string[] {
  const hw = keyStats(f.keys);
  const sw = keyStats(f.keysSoftware);
  const warm = quantile(f.filterWarmMs, 0.5);
  const saveMs = f.importMs - f.importParseMs;
  const keyWhy = (s: KeyStats) =>
    `j p95 ${fmt(s.commitJP95)} ms, ] p95 ${fmt(s.commitGroupP95)} ms; ${s.late} of ${f.keys.length} presses committed only at a later frame`;
  return [
    `target p95 key → DOM committed < ${TARGETS.commitP95} ms: ${fmt(hw.commitP95)} ms ${verdict(hw.commitP95, TARGETS.commitP95)} [${keyWhy(hw)}]; ` +
      `software compositing ${fmt(sw.commitP95)} ms ${verdict(sw.commitP95, TARGETS.commitP95)} [${keyWhy(sw)}]`,
    `target p95 key → painted < ${TARGETS.paintedP95} ms: SwiftShader compositing (the test flags) ${fmt(hw.paintedP95)} ms ${verdict(hw.paintedP95, TARGETS.paintedP95)}; ` +
      `software compositing ${fmt(sw.paintedP95)} ms ${verdict(sw.paintedP95, TARGETS.paintedP95)} ` +
      `[median commit → next frame ${fmt(hw.frameWait)} ms with SwiftShader, ${fmt(sw.frameWait)} ms in software: the frame waits for the compositor, not the page; ` +
      `median j ${fmt(hw.jPaintedMedian)} / ${fmt(sw.jPaintedMedian)} ms, ] ${fmt(hw.groupPaintedMedian)} / ${fmt(sw.groupPaintedMedian)} ms]`,
    `target filter < ${TARGETS.filter} ms: warm median ${fmt(warm)} ms ${verdict(warm, TARGETS.filter)} [the page's figure, from the request to the hits in the page; ` +
      `of it the worker's evaluation over ${f.rollouts} rollouts: median ${fmt(quantile(f.filterWarmWorkerMs ?? [], 0.5))} ms, the rest is the round trip and the page's main thread; ` +
      `cold ${fmt(f.filterColdMs)} ms: the worker first reads the run from IndexedDB; ${f.filterHits} hits]; ` +
      `software compositing: median ${fmt(quantile(f.filterSoftwareMs ?? [], 0.5))} ms ${verdict(quantile(f.filterSoftwareMs ?? [], 0.5), TARGETS.filter)} (worker ${fmt(quantile(f.filterSoftwareWorkerMs ?? [], 0.5))} ms)`,
    `target import < ${TARGETS.import / 1000} s: ${fmt(f.importMs)} ms ${verdict(f.importMs, TARGETS.import)} [read + parse + group ${fmt(f.importParseMs)} ms, IndexedDB writes ${fmt(saveMs)} ms]`,
  ];
}

/** The `inspector` section of `npm run bench`: the production build, or the dev server with P2R_INSPECTOR_DEV=1. */
export async function runInspectorSection(ctx: BenchContext): Promise<SectionBody> {
  const { server } = ctx;
  const dev = /^(1|true|yes)$/i.test(process.env.P2R_INSPECTOR_DEV ?? '');
  const baselineRef = process.env.P2R_INSPECTOR_BASELINE?.trim();
  const quick = ctx.config.preset === 'quick';
  const options = quick ? { steps: 4, prompts: 250, keyPresses: 80, openRepeats: 2 } : {};
  const measure = async (root: string | null, label: string): Promise<InspectorBenchFigures> => {
    let url: string;
    let stop: (() => Promise<void>) | null = null;
    if (root === null) {
      if (!server.httpServer?.listening) await server.listen();
      const address = server.httpServer?.address();
      if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a port');
      url = `http://localhost:${address.port}/`;
      ctx.log(`  DEV server (React development build): ${url}`);
    } else {
      const served = await servePreviewBuild(root, ctx.log);
      url = served.url;
      stop = served.close;
      ctx.log(`  ${label}: production build served by vite preview: ${url} (load ${loadavg()[0].toFixed(1)})`);
    }
    try {
      return await benchInspector(url, options, ctx.log);
    } finally {
      await stop?.();
    }
  };

  let before: { figures: InspectorBenchFigures; commit: string } | null = null;
  if (baselineRef && !dev) {
    const co = checkoutRef(server.config.root, baselineRef);
    try {
      before = { figures: await measure(co.dir, `baseline ${co.commit}`), commit: co.commit };
    } finally {
      co.remove();
    }
  }
  const f = await measure(dev ? null : server.config.root, 'working tree');

  const servedBuild = dev ? 'dev server (React development build)' : 'production build (vite build + vite preview)';
  const shape = `${f.rollouts} rollouts (${f.options.steps} steps × ${f.options.prompts} prompts × G=${f.options.G})`;
  const params = { rollouts: f.rollouts, steps: f.options.steps, prompts: f.options.prompts, G: f.options.G };
  const row = (kernel: string, pick: (x: InspectorBenchFigures) => number[], note?: string): BenchRow => {
    const ours = pick(f);
    const base = before ? pick(before.figures) : null;
    const r: BenchRow = { kernel, shape, params, repeats: ours.length, ours: { label: 'working tree', wall: summarize(ours) }, ...(note ? { note } : {}) };
    if (base?.length) {
      r.baseline = { label: `baseline ${before!.commit}`, wall: summarize(base) };
      r.ratio = summarize(base).median / summarize(ours).median;
    }
    return r;
  };
  const keysOf = (x: InspectorBenchFigures, soft: boolean) => (soft ? x.keysSoftware : x.keys);
  const rows: BenchRow[] = [
    row('import verl run', (x) => [x.importMs], 'read + parse + group, then IndexedDB writes'),
    row('import: read + parse + group', (x) => [x.importParseMs]),
    row('open run (hash → group painted)', (x) => x.openMs, 'target < 1000 ms'),
  ];
  for (const soft of [false, true]) {
    const tag = soft ? 'software compositing' : 'SwiftShader compositing';
    rows.push(
      row(`key → DOM committed (j and ]), ${tag}`, (x) => keysOf(x, soft).map((k) => k.commit), `p95 ${fmt(keyStats(keysOf(f, soft)).commitP95)} ms; target p95 < ${TARGETS.commitP95} ms`),
      row(`key → next rollout painted (j), ${tag}`, (x) => keysOf(x, soft).filter((k) => k.key === 'j').map((k) => k.painted)),
      row(`key → next group painted (]), ${tag}`, (x) => keysOf(x, soft).filter((k) => k.key === ']').map((k) => k.painted), '(prefetched)'),
      row(`key → painted (j and ]), ${tag}`, (x) => keysOf(x, soft).map((k) => k.painted), `p95 ${fmt(keyStats(keysOf(f, soft)).paintedP95)} ms; target p95 < ${TARGETS.paintedP95} ms`),
    );
  }
  rows.push(
    row('apply filter (worker, warm), SwiftShader compositing', (x) => x.filterWarmMs, `cold ${f.filterColdMs} ms (loads the run from IndexedDB); ${f.filterHits} hits; target < ${TARGETS.filter} ms`),
    row('apply filter (worker, warm), software compositing', (x) => x.filterSoftwareMs ?? []),
  );

  const notes = [
    `inspector: measured on the ${servedBuild}; load average ${f.load.toFixed(1)} on ${navigatorCores()} cores before the measurement (the figures move with it).`,
    ...targetLines(f),
  ];
  if (before) {
    notes.push(`inspector: baseline = commit ${before.commit} (P2R_INSPECTOR_BASELINE), measured first in the same run (load ${before.figures.load.toFixed(1)}); ratio = baseline / working tree (> 1: faster now).`);
    notes.push(...targetLines(before.figures).map((l) => `baseline ${before!.commit}: ${l}`));
  }
  return { rows, notes, failures: [] };
}

function navigatorCores(): number {
  return availableParallelism();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchInspector(process.argv[2] ?? 'http://localhost:5173/', {}, console.log).then(
    (f) => {
      console.log(targetLines(f).join('\n'));
      console.log(JSON.stringify({ ...f, keys: keyStats(f.keys), keysSoftware: keyStats(f.keysSoftware) }, null, 2));
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
