// Faults of the benchmark CLI (`npm run bench`, scripts/bench.mjs; README "Faults"): the result file
// (--out FILE, default bench/results/<date>-kernels.json) is opened before any section runs, so a bad
// path costs no benchmark (exit 2, named); a write that fails (a full disk) exits 2 naming the file,
// never "wrote …", and the results are saved elsewhere. One tiny matmul and attention case: seconds.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runTool, STACK_TRACE } from './cli_faults';

const dir = mkdtempSync(join(tmpdir(), 'p2r-bench-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--quick', '--only', 'node', '--seq', '16', '--head-dims', '16', '--heads', '1', '--batch', '1', '--matmul', '8x8x8', '--repeats', '1', '--warmup', '0'];
const bench = (args: string[]) => runTool('scripts/bench.mjs', [...TINY, ...args]);

describe('npm run bench: faults', () => {
  it('refuses an --out in a missing folder before running any section, exit 2 naming it', async () => {
    const out = join(dir, 'missing', 'kernels.json');
    const r = await bench(['--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--out ${out}: the folder ${join(dir, 'missing')} does not exist`);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).not.toContain('[node]'); // no section ran
  }, 60_000);

  it('exits 2 naming the file when the result cannot be written (disk full), and saves the results elsewhere', async () => {
    const r = await bench(['--out', '/dev/full']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('writing /dev/full failed: ENOSPC');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).not.toMatch(/^wrote /m);
    const rescued = /saved to (\S+)/.exec(r.stderr)?.[1];
    expect(rescued, r.stderr).toBeTruthy();
    const file = join(rescued!, 'kernels.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).schema).toBe('p2r-lab-bench/1');
    rmSync(rescued!, { recursive: true, force: true });
  }, 60_000);

  it('writes --out when it can, and says so', async () => {
    const out = join(dir, 'kernels.json');
    const r = await bench(['--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    expect(JSON.parse(readFileSync(out, 'utf8')).sections.map((s: { name: string }) => s.name)).toEqual(['node']);
  }, 60_000);
});
