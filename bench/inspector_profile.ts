// Where the inspector's time goes (issue 11, Speed): the same synthetic 100k-rollout verl run as
// `npm run bench -- --only inspector`, on a production build left unminified (readable function names),
// with Chrome's CPU profiler around the import and the filter and a performance trace around the key
// presses. Prints, per phase, the renderer main thread's time by trace event (script, style, layout,
// paint, GC…) and the JS functions with the most self time; writes the raw profiles to OUT_DIR.
//
//   npx tsx bench/inspector_profile.ts [OUT_DIR] [--steps N] [--presses N] [--group-keys]
//
// A diagnostic, not a benchmark: the profiler's own overhead inflates every figure it prints.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import { DEFAULT_OPTIONS, verlStep } from './inspector';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

/** Self time per function (ms), from a CPU profile's samples. */
export function selfTimes(p: CpuProfile): { name: string; ms: number }[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const acc = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i])!;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const f = n.callFrame;
    const file = f.url.split('/').pop() ?? '';
    const key = f.functionName || f.url ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : `(${f.functionName || 'program'})`;
    acc.set(key === ' :0' ? '(program)' : key, (acc.get(key) ?? 0) + dt);
  }
  return [...acc.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

/** Busy time per process / thread (top-level events only, so nothing is counted twice), in ms. */
export function threadBusy(events: TraceEvent[]): { name: string; ms: number }[] {
  const names = new Map<string, string>();
  const procs = new Map<number, string>();
  for (const e of events) {
    if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, String((e.args as { name?: string })?.name));
    if (e.name === 'process_name') procs.set(e.pid, String((e.args as { name?: string })?.name));
  }
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) if (e.ph === 'X' && e.dur) (byThread.get(`${e.pid}:${e.tid}`) ?? byThread.set(`${e.pid}:${e.tid}`, []).get(`${e.pid}:${e.tid}`)!).push(e);
  const out: { name: string; ms: number }[] = [];
  for (const [key, evs] of byThread) {
    evs.sort((a, b) => a.ts - b.ts);
    let end = -Infinity;
    let busy = 0;
    for (const e of evs) {
      if (e.ts >= end) {
        busy += e.dur!;
        end = e.ts + e.dur!;
      } else if (e.ts + e.dur! > end) {
        busy += e.ts + e.dur! - end;
        end = e.ts + e.dur!;
      }
    }
    out.push({ name: `${procs.get(Number(key.split(':')[0])) ?? '?'} / ${names.get(key) ?? key}`, ms: busy / 1000 });
  }
  return out.sort((a, b) => b.ms - a.ms);
}

/** Main-thread time per top-level trace event name on the renderer's main thread (ms; nested events excluded). */
export function mainThreadBreakdown(events: TraceEvent[]): { name: string; ms: number; n: number }[] {
  const main = events.find((e) => e.name === 'thread_name' && e.args && (e.args as { name?: string }).name === 'CrRendererMain');
  if (!main) return [];
  const evs = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  // Self time per event name: an event's duration minus its direct children's.
  const acc = new Map<string, { ms: number; n: number }>();
  const stack: { e: TraceEvent; child: number }[] = [];
  const close = (upTo: number) => {
    while (stack.length && stack[stack.length - 1].e.ts + stack[stack.length - 1].e.dur! <= upTo) {
      const top = stack.pop()!;
      const a = acc.get(top.e.name) ?? { ms: 0, n: 0 };
      a.ms += (top.e.dur! - top.child) / 1000;
      a.n++;
      acc.set(top.e.name, a);
      if (stack.length) stack[stack.length - 1].child += top.e.dur!;
    }
  };
  for (const e of evs) {
    close(e.ts);
    stack.push({ e, child: 0 });
  }
  close(Infinity);
  return [...acc.entries()].map(([name, a]) => ({ name, ...a })).sort((a, b) => b.ms - a.ms);
}

async function withCpuProfile<T>(cdp: CDPSession, out: string, fn: () => Promise<T>): Promise<{ value: T; profile: CpuProfile }> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const value = await fn();
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  writeFileSync(out, JSON.stringify(profile));
  return { value, profile };
}

async function withTrace<T>(cdp: CDPSession, out: string, fn: () => Promise<T>): Promise<{ value: T; events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...(d.value as unknown as TraceEvent[])));
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'v8.execute', 'blink.user_timing', '__metadata', ...(process.env.P2R_PROFILE_GPU ? ['gpu', 'viz', 'cc', 'skia', 'gpu.angle', 'disabled-by-default-viz.gpu_composite_time'] : [])] },
  });
  const value = await fn();
  await cdp.send('Tracing.end');
  await done;
  writeFileSync(out, JSON.stringify({ traceEvents: events }));
  return { value, events };
}

const table = (rows: { name: string; ms: number; n?: number }[], top: number, total?: number) =>
  rows
    .slice(0, top)
    .map((r) => `    ${r.ms.toFixed(1).padStart(9)} ms${total ? ` ${((100 * r.ms) / total).toFixed(0).padStart(3)}%` : ''}${r.n !== undefined ? ` ×${r.n}`.padEnd(8) : ''}  ${r.name}`)
    .join('\n');

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const outDir = resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? mkdtempSync(join(tmpdir(), 'p2r-inspector-profile-')));
  mkdirSync(outDir, { recursive: true });
  const o = { ...DEFAULT_OPTIONS, steps: flag('--steps', DEFAULT_OPTIONS.steps) };
  const presses = flag('--presses', 80);
  // --group-keys: every press is ] (a new group each time), to profile the heavier key alone.
  const everyG = args.includes('--group-keys') ? 1 : o.G;
  const root = resolve(import.meta.dirname, '..');
  const dist = mkdtempSync(join(tmpdir(), 'p2r-inspector-profile-build-'));
  await build({ root, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true, minify: false } });
  const server = await preview({ root, logLevel: 'warn', build: { outDir: dist }, preview: { port: 0, host: '127.0.0.1' } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const base = `http://localhost:${address.port}/`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const page: Page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const cdp = await page.context().newCDPSession(page);
    await page.goto(`${base}#/rollouts`);
    await page.getByTestId('runs-list').waitFor({ timeout: 60_000 });
    const files = Array.from({ length: o.steps }, (_, s) => ({ name: `${s + 1}.jsonl`, mimeType: 'application/x-ndjson', buffer: Buffer.from(verlStep(s + 1, o)) }));

    console.log(`profiles in ${outDir}`);
    const imp = await withCpuProfile(cdp, join(outDir, 'import.cpuprofile'), async () => {
      const t0 = Date.now();
      await page.getByTestId('rollout-import').setInputFiles(files);
      await page.getByTestId('run-dashboard').waitFor({ timeout: 600_000 });
      return Date.now() - t0;
    });
    const impSelf = selfTimes(imp.profile);
    console.log(`\nimport of ${o.steps * o.prompts * o.G} rollouts: ${imp.value} ms wall; main-thread JS self time (sampled):`);
    console.log(table(impSelf, 25, imp.value));

    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    await page.waitForTimeout(1500);
    const KEYS = `(async function (presses, G) {
      var out = [];
      for (var n = 0; n < presses; n++) {
        var key = G === 1 || n % G === G - 1 ? ']' : 'j';
        var t = performance.now();
        performance.mark('key-' + n);
        dispatchEvent(new KeyboardEvent('keydown', { key: key, bubbles: true }));
        await new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); });
        out.push(performance.now() - t);
        await new Promise(function (r) { setTimeout(r, 30); });
      }
      return out;
    })`;
    const keys = await withTrace(cdp, join(outDir, 'keys.trace.json'), () => page.evaluate<number[]>(`${KEYS}(${presses}, ${everyG})`));
    const bd = mainThreadBreakdown(keys.events);
    const busy = bd.filter((r) => r.name !== 'ThreadControllerImpl::RunTask').reduce((s, r) => s + r.ms, 0);
    console.log(`\n${presses} key presses (j, ] every ${o.G}): main-thread self time by trace event (${(busy / presses).toFixed(1)} ms per press):`);
    console.log(table(bd.map((r) => ({ ...r, ms: r.ms / presses })), 25));
    console.log(`\nbusy time per thread, per press (the GPU process composites every frame; with SwiftShader that is CPU work):`);
    console.log(table(threadBusy(keys.events).map((r) => ({ ...r, ms: r.ms / presses })), 8));
    const keyProf = await withCpuProfile(cdp, join(outDir, 'keys.cpuprofile'), () => page.evaluate<number[]>(`${KEYS}(${presses}, ${everyG})`));
    console.log(`\nkey presses, JS self time per press (sampled):`);
    console.log(table(selfTimes(keyProf.profile).map((r) => ({ ...r, ms: r.ms / presses })), 30));

    const applyFilter = async (expr: string) => {
      await page.getByTestId('filter').fill(expr);
      await page.getByTestId('apply-filter').click();
      const status = page.getByTestId('filter-status').filter({ hasText: 'match' });
      await status.waitFor({ timeout: 120_000 });
      const text = (await status.textContent()) ?? '';
      await page.getByRole('button', { name: 'clear' }).click();
      return text;
    };
    await applyFilter('perception < 1.5 and reasoning == 2');
    const filt = await withTrace(cdp, join(outDir, 'filter.trace.json'), () => applyFilter('perception < 1.5 and reasoning == 2'));
    console.log(`\nfilter (warm): ${filt.value}; main-thread self time by trace event:`);
    console.log(table(mainThreadBreakdown(filt.events), 15));
    const workerTid = filt.events.filter((e) => e.name === 'thread_name' && /Worker/.test(String((e.args as { name?: string })?.name)));
    for (const w of workerTid) {
      const evs = filt.events.filter((e) => e.pid === w.pid && e.tid === w.tid && e.ph === 'X' && e.dur);
      const ms = evs.reduce((s, e) => s + e.dur!, 0) / 1000;
      if (ms > 1) console.log(`  ${String((w.args as { name?: string }).name)}: ${ms.toFixed(1)} ms of events`);
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(dist, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
