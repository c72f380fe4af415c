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
// disagreement or a crashed case, 2 when the harness itself fails or the result cannot be written.
//
// Faults (README "Faults"): the result file (--out FILE, default bench/results/<date>-kernels.json) is
// opened before any section runs, so a bad path costs no benchmark; it is written to
// FILE.partial-PID and renamed when complete (scripts/cli_io.ts), so a killed run leaves no half file;
// a write that fails exits 2 naming the file and saves the results under the system's temporary folder.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line) => console.log(line);

let server;
let exitCode = 2;
let output; // the result file, opened before the sections run
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
  const io = await server.ssrLoadModule('/scripts/cli_io.ts');
  let config;
  let out;
  try {
    let argv;
    ({ out, argv } = takeOut(process.argv.slice(2)));
    config = parseBenchArgs(argv);
  } catch (e) {
    console.error(`bench: ${e.message}`);
    process.exit(2);
  }
  if (config.help) {
    console.log(`${USAGE_TEXT}\n  --out FILE            the result file (default bench/results/<date>-kernels.json)`);
    exitCode = 0;
  } else {
    const { help: _help, ...cfg } = config;
    const started = new Date();
    const file = out ?? join(root, 'bench', 'results', `${started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-${cfg.gpuReport ? 'gpu-report' : 'kernels'}.json`);
    if (!out) mkdirSync(dirname(file), { recursive: true });
    output = new io.OutputFile(file, '--out', 'kernels.json');
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
      process.once(signal, () => {
        output.abort();
        console.error(`bench: interrupted (${signal}); no result file written`);
        process.exit(code);
      });
    }
    exitCode = await run(cfg, started, output, io);
  }
} catch (e) {
  output?.abort();
  // IoError (scripts/cli_io.ts): a file that cannot be written; its message names it.
  console.error(e?.name === 'IoError' ? `bench: ${e.message}` : `bench: harness failed: ${e?.stack ?? e}`);
  exitCode = 2;
} finally {
  await server?.close().catch(() => {});
  // Dawn's GPU object keeps the process alive (webgpu-without-a-gpu.md §2): exit explicitly.
  process.exit(exitCode);
}

/** --out FILE (or --out=FILE), taken out of the flags bench/config.ts parses. */
function takeOut(argv) {
  const rest = [];
  let out;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i] ?? '';
    else if (argv[i].startsWith('--out=')) out = argv[i].slice('--out='.length);
    else rest.push(argv[i]);
  }
  if (out !== undefined && (out === '' || out.startsWith('--'))) throw new Error(`--out needs a file name (got ${out || 'nothing'})`);
  return { out, argv: rest };
}

async function run(config, started, output, io) {
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
  const text = JSON.stringify(result, null, 2) + '\n';
  try {
    await output.write(text);
    await output.commit();
  } catch (e) {
    if (e?.name !== 'IoError') throw e;
    const rescued = io.rescueCopy('bench', [['kernels.json', text]]);
    throw new io.IoError(`${e.message}; ${rescued ? `the results were saved to ${rescued} instead` : 'the results could not be saved elsewhere either'}`);
  }
  const name = output.name.startsWith(root + '/') ? output.name.slice(root.length + 1) : output.name;
  log(`wrote ${name}`);
  if (failures.length) {
    log(`\n${failures.length} failure(s):`);
    for (const f of failures) log(`  ${f.split('\n')[0]}`);
    return 1;
  }
  return 0;
}
