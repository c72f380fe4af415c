// The layering of src/ (README, "Layout"), checked on every import of every file. Imports run only
// downward:
//   util < rewards, gpu < data, model < rollouts < train < store < ui < main.tsx
// A folder may import itself and the layers below it, never a layer above or a sibling of its own
// layer (rewards and gpu, data and model do not import each other). React and its bindings (react,
// react-dom, recharts, zustand's React entry, @tanstack/react-virtual) are imported only under
// src/ui/ and by src/main.tsx. The pure layers (util, rewards, data, rollouts) never reach WebGPU
// (src/gpu, the webgpu package), directly or through another module.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Layer of each top-level folder of src/ (and of src/main.tsx): a file may import a lower layer. */
const LAYERS: Record<string, number> = {
  util: 0,
  rewards: 1,
  gpu: 1,
  data: 2,
  model: 2,
  rollouts: 3,
  train: 4,
  store: 5,
  ui: 6,
  'main.tsx': 7,
};
// zustand's bare entry (and /react, /traditional) is its React hook; zustand/vanilla has no React.
const REACT_PACKAGES = /^(react|react-dom|recharts)(\/|$)|^zustand(\/react|\/traditional)?$|^@tanstack\/react-/;
const REACT_ALLOWED = new Set(['ui', 'main.tsx']);
const PURE = new Set(['util', 'rewards', 'data', 'rollouts']);

export interface SourceFile {
  /** Path from the repository root, with '/', e.g. 'src/train/worker.ts'. */
  path: string;
  text: string;
}

/**
 * Module specifiers a file imports: static imports and re-exports (type-only too), side-effect
 * imports, dynamic `import('…')` (also in type positions), and workers' `new URL('…', import.meta.url)`.
 * Matches on comment lines are ignored.
 */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /^[ \t]*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^[ \t]*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const line = text.slice(lineStart, m.index + m[0].length).trimStart();
      if (line.startsWith('//') || line.startsWith('*') || line.startsWith('/*')) continue;
      specs.push(m[1]);
    }
  }
  return specs;
}

/** 'src/train/worker.ts' → 'train'; 'src/main.tsx' → 'main.tsx'; outside src → null. */
function unitOf(path: string): string | null {
  if (!path.startsWith('src/')) return null;
  return path.slice(4).split('/')[0];
}

/** A relative specifier resolved against the importing file; bare packages stay as written. */
function resolveSpec(from: string, spec: string): { file: string } | { pkg: string } {
  if (!spec.startsWith('.')) return { pkg: spec };
  return { file: posix.normalize(posix.join(posix.dirname(from), spec.split('?')[0])) };
}

/** Every broken rule, one line each, naming the importing file first. */
export function layerViolations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const find = (file: string) => byPath.get(file) ?? byPath.get(`${file}.ts`) ?? byPath.get(`${file}.tsx`) ?? byPath.get(`${file}/index.ts`);
  const edges = new Map<string, string[]>(); // file → resolved src files and packages it imports

  for (const f of files) {
    const unit = unitOf(f.path);
    if (unit === null) continue;
    const layer = LAYERS[unit];
    if (layer === undefined) {
      out.push(`${f.path}: src/${unit} is not a layer (known: ${Object.keys(LAYERS).join(', ')}); add it to the README layout and to LAYERS here`);
      continue;
    }
    const targets: string[] = [];
    for (const spec of importsOf(f.text)) {
      const r = resolveSpec(f.path, spec);
      if ('pkg' in r) {
        targets.push(`pkg:${r.pkg}`);
        if (REACT_PACKAGES.test(r.pkg) && !REACT_ALLOWED.has(unit)) out.push(`${f.path} imports '${r.pkg}': React and its bindings belong under src/ui/`);
        continue;
      }
      const target = find(r.file)?.path ?? r.file;
      targets.push(target);
      const tunit = unitOf(target);
      if (tunit === null || tunit === unit) continue; // shaders/, public/, or the same folder
      const tlayer = LAYERS[tunit];
      if (tlayer === undefined) out.push(`${f.path} imports '${spec}': src/${tunit} is not a layer`);
      else if (tlayer > layer) out.push(`${f.path} imports '${spec}' (${tunit}, above ${unit}): imports run only downward`);
      else if (tlayer === layer) out.push(`${f.path} imports '${spec}' (${tunit}, a sibling of ${unit}): siblings do not import each other`);
    }
    edges.set(f.path, targets);
  }

  // The pure layers never reach WebGPU, even through another module.
  for (const f of files) {
    const unit = unitOf(f.path);
    if (unit === null || !PURE.has(unit)) continue;
    const seen = new Set<string>([f.path]);
    const queue: { file: string; via: string[] }[] = [{ file: f.path, via: [] }];
    while (queue.length) {
      const { file, via } = queue.shift()!;
      for (const t of edges.get(file) ?? []) {
        const gpu = t === 'pkg:webgpu' || t.startsWith('src/gpu/');
        if (gpu) {
          out.push(`${f.path} reaches WebGPU (${[...via, file, t.replace(/^pkg:/, '')].slice(1).join(' → ') || t}): src/${unit} is pure`);
          queue.length = 0;
          break;
        }
        if (!t.startsWith('pkg:') && !seen.has(t)) {
          seen.add(t);
          queue.push({ file: t, via: [...via, file] });
        }
      }
    }
  }
  return out;
}

function sourceFiles(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) files.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e.name)) files.push({ path: p, text: readFileSync(join(ROOT, p), 'utf8') });
  }
  return files;
}

describe('import layers', () => {
  it('has no upward import, no sibling import, no React below src/ui and no WebGPU in the pure layers', () => {
    const files = sourceFiles('src');
    expect(files.length).toBeGreaterThan(50);
    expect(layerViolations(files)).toEqual([]);
  });

  it('names the file that imports upward', () => {
    const v = layerViolations([
      { path: 'src/train/worker.ts', text: "import { appendRunStep } from '../ui/rollouts/db';\n" },
      { path: 'src/ui/rollouts/db.ts', text: '' },
    ]);
    expect(v).toEqual(["src/train/worker.ts imports '../ui/rollouts/db' (ui, above train): imports run only downward"]);
  });

  it('names a sibling import, and the cycle between gpu and model it would allow', () => {
    const v = layerViolations([
      { path: 'src/gpu/self_test.ts', text: "import { checkOnnxEncoder } from '../model/onnx_self_test';\n" },
      { path: 'src/model/onnx_self_test.ts', text: "import type { SelfTestResult } from '../gpu/self_test';\n" },
    ]);
    expect(v).toEqual(["src/gpu/self_test.ts imports '../model/onnx_self_test' (model, above gpu): imports run only downward"]);
    const siblings = layerViolations([
      { path: 'src/data/types.ts', text: "import type { Config } from '../model/config';\n" },
      { path: 'src/model/config.ts', text: '' },
    ]);
    expect(siblings).toEqual(["src/data/types.ts imports '../model/config' (model, a sibling of data): siblings do not import each other"]);
  });

  it('names a file below src/ui that imports React, recharts or the zustand React hook', () => {
    const v = layerViolations([
      { path: 'src/store/react.ts', text: "import { useStore } from 'zustand';\nimport { createStore } from 'zustand/vanilla';\n" },
      { path: 'src/rollouts/Chart.tsx', text: "import { useState } from 'react';\nimport { LineChart } from 'recharts';\n" },
      { path: 'src/ui/rollouts/Chart.tsx', text: "import { useState } from 'react';\nimport { createRoot } from 'react-dom/client';\n" },
    ]);
    expect(v).toEqual([
      "src/store/react.ts imports 'zustand': React and its bindings belong under src/ui/",
      "src/rollouts/Chart.tsx imports 'react': React and its bindings belong under src/ui/",
      "src/rollouts/Chart.tsx imports 'recharts': React and its bindings belong under src/ui/",
    ]);
  });

  it('finds dynamic imports, type imports, workers and multi-line imports, and skips comments', () => {
    const text = [
      "import {",
      "  a,",
      "  b,",
      "} from './multi';",
      "import type { T } from './typed';",
      "export { c } from './reexport';",
      "import './side.css';",
      "const store = (s: import('./typepos').Store) => s;",
      "const w = new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' });",
      "// import { nope } from './comment';",
      " *   new Worker(new URL('./commented.ts', import.meta.url))",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(['../train/worker.ts', './multi', './reexport', './side.css', './typed', './typepos'].sort());
  });

  it('names a pure module that reaches WebGPU through another layer', () => {
    const v = layerViolations([
      { path: 'src/rollouts/score.ts', text: "import { embed } from '../model/encoder';\n" },
      { path: 'src/model/encoder.ts', text: "import { Matmul } from '../gpu/kernels/matmul';\n" },
      { path: 'src/gpu/kernels/matmul.ts', text: '' },
    ]);
    expect(v).toEqual(['src/rollouts/score.ts reaches WebGPU (src/model/encoder.ts → src/gpu/kernels/matmul.ts): src/rollouts is pure']);
  });

  it('names a file in a folder that is not a layer', () => {
    const v = layerViolations([{ path: 'src/inspect/record.ts', text: '' }]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/^src\/inspect\/record\.ts: src\/inspect is not a layer/);
  });
});
