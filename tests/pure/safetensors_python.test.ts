// Our safetensors files, read by an independent reader: scripts/check_safetensors.py (Python standard
// library only, since torch and safetensors are not installed here) parses the file we wrote and
// prints names, shapes, sums and hashes, which must match what was written.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeCheckpoint, sha256Hex } from '../../src/train/checkpoint';
import { encodeSafetensors, type SafetensorsTensor } from '../../src/train/safetensors';

const dir = mkdtempSync(join(tmpdir(), 'p2r-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PyReport {
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: number[]; count: number; sum: number; sha256: string }[];
  sha256: string;
}

function check(bytes: Uint8Array, name: string): PyReport {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return JSON.parse(execFileSync('python3', ['scripts/check_safetensors.py', path], { encoding: 'utf8' })) as PyReport;
}

/** The same float64 left-to-right sum of float32 values Python's loop does. */
function sum(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function seeded(name: string, shape: number[], seed: number): SafetensorsTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let x = seed;
  const data = Float32Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 3);
  return { name, shape, dtype: 'F32', data };
}

describe('scripts/check_safetensors.py reading encodeSafetensors output', () => {
  it('prints the names, shapes, element counts, value sums and per-tensor SHA-256 that were written', async () => {
    const tensors = [
      seeded('embed.weight', [17, 8], 1),
      seeded('blocks.0.attn.qkv', [8, 24], 2),
      seeded('blocks.0.mlp.b', [32], 3),
      seeded('scalar', [], 4),
      seeded('empty', [0, 3], 5),
      seeded('名前', [2, 2, 2], 6),
    ];
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'hello' });
    const py = check(bytes, 'model.safetensors');
    expect(py.metadata).toEqual({ format: 'pt', note: 'hello' });
    expect(py.sha256).toBe(await sha256Hex(bytes));
    expect(py.tensors.map((t) => [t.name, t.dtype, t.shape, t.count])).toEqual(tensors.map((t) => [t.name, 'F32', t.shape, t.data.length]));
    for (const [i, t] of py.tensors.entries()) {
      expect(t.sum).toBe(sum(tensors[i].data));
      expect(t.sha256).toBe(await sha256Hex(new Uint8Array(tensors[i].data.buffer)));
    }
    expect(py.tensors[0].sum).not.toBe(0);
  });

  it('reads an exported checkpoint: parameters and optimizer.m./optimizer.v. moments under the keys the config lists', async () => {
    const params = [seeded('w', [3, 4], 7), seeded('b', [4], 8)];
    const s = await serializeCheckpoint({
      config: { preset: 'tiny' },
      step: 9,
      tensors: params,
      optimizer: { m: params.map((p, i) => seeded(p.name, p.shape, 20 + i)), v: params.map((p, i) => seeded(p.name, p.shape, 30 + i)) },
      metadata: { runId: 'r' },
    });
    const py = check(s.safetensors, 'ckpt.safetensors');
    const cfg = JSON.parse(s.config);
    expect(py.sha256).toBe(cfg.safetensors.sha256);
    const keys = [...cfg.params, ...cfg.optimizer.m, ...cfg.optimizer.v].map((e: { key: string }) => e.key);
    expect(py.tensors.map((t) => t.name)).toEqual(keys);
    expect(keys).toEqual(['w', 'b', 'optimizer.m.w', 'optimizer.m.b', 'optimizer.v.w', 'optimizer.v.b']);
    expect(py.tensors[0].sum).toBe(sum(params[0].data));
    expect(py.metadata['p2r.step']).toBe('9');
  });

  it('exits with status 1 and says why when the file is truncated', () => {
    const bytes = encodeSafetensors([seeded('w', [4], 1)]);
    const path = join(dir, 'torn.safetensors');
    writeFileSync(path, bytes.subarray(0, bytes.length - 4));
    const r = spawnSync('python3', ['scripts/check_safetensors.py', path], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tensor 'w': ends at 16, beyond the 12-byte buffer/);
  });
});
