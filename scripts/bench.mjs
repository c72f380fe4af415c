#!/usr/bin/env node
// `npm run bench`: compares our WGSL kernels with baselines on ONE adapter per section in ONE run
// (Node on Dawn: ours vs naive/unfused WGSL; headless Chromium: ours vs onnxruntime-web's WebGPU
// EP), prints a table of medians and ratios, and writes bench/results/<date>-kernels.json.
//
// The benchmark code is TypeScript that imports WGSL with Vite's `?raw`, which tsx cannot load. One
// Vite dev server does both jobs: `ssrLoadModule` runs the Node sections through Vite's transform
// pipeline (so `?raw` and TS work as in the app and in Vitest), and the same server serves the
// browser page (bench/browser/index.html) on http://localhost, which WebGPU needs as a secure context.
//
// Sections live in bench/sections.ts (a registry: add yours there). Flags: `--help`.
// Exit status: 0 when everything ran and agreed (slow figures included), 1 on a numerical
// disagreement or a crashed case, 2 when the harness itself fails.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line) => console.log(line);

let server;
let exitCode = 2;
try {
  server = await createServer({
    root,
    logLevel: 'warn',
    clearScreen: false,
    // localhost is a secure context (navigator.gpu); no HMR or file watching during a benchmark.
    server: { host: 'localhost', port: 5190, strictPort: false, hmr: false, watch: null },
    // onnxruntime-web loads its .wasm/.mjs files itself from ort.env.wasm.wasmPaths: do not pre-bundle it.
    optimizeDeps: { exclude: ['onnxruntime-web'] },
  });
  const { parseBenchArgs, USAGE_TEXT } = await server.ssrLoadModule('/bench/config.ts');
  let config;
  try {
    config = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${e.message}`);
    process.exit(2);
  }
  if (config.help) {
    console.log(USAGE_TEXT);
    exitCode = 0;
  } else {
    const { help: _help, ...cfg } = config;
    exitCode = await run(cfg);
  }
} catch (e) {
  console.error(`bench: harness failed: ${e?.stack ?? e}`);
  exitCode = 2;
} finally {
  await server?.close().catch(() => {});
  // Dawn's GPU object keeps the process alive (webgpu-without-a-gpu.md §2): exit explicitly.
  process.exit(exitCode);
}

async function run(config) {
  const started = new Date();
  log(`P2R Lab kernel benchmarks (${config.preset}; repeats ${config.repeats}, ${config.longRepeats} at T >= ${config.longT}; warm-up ${config.warmup})`);
  const { runSections } = await server.ssrLoadModule('/bench/sections.ts');
  const { sectionTable } = await server.ssrLoadModule('/bench/report.ts');
  const sections = await runSections({ config, server, log });

  log('');
  for (const section of sections) log(`${sectionTable(section)}\n`);
  const failures = sections.flatMap((s) => s.failures.map((f) => `[${s.name}] ${f}`));
  const result = {
    schema: 'p2r-lab-bench/1',
    date: started.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    config,
    host: { platform: `${os.platform()} ${os.release()}`, arch: os.arch(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    notes: [
      'ratio = baseline median / ours median (wall clock); > 1 means ours is faster. gpuRatio uses GPU timestamp queries where both sides have them.',
      'Times are milliseconds. On SwiftShader (adapter.cpuFigures = true) WebGPU runs on the CPU: every figure is a CPU figure.',
    ],
    sections,
    failures,
    ok: failures.length === 0,
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-kernels.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${file.slice(root.length + 1)}`);
  if (failures.length) {
    log(`\n${failures.length} failure(s):`);
    for (const f of failures) log(`  ${f.split('\n')[0]}`);
    return 1;
  }
  return 0;
}
