// Faults of the evaluation CLI (`npm run eval`, scripts/eval.ts; README "Faults"): a --resume that is
// not a readable checkpoint folder is refused before Vite and the GPU start, with exit 2 and the file's
// name; a --json report that cannot be written (stdout on a full disk) is not a success.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runTool, STACK_TRACE } from './cli_faults';

const dir = mkdtempSync(join(tmpdir(), 'p2r-eval-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run eval: faults', () => {
  it('refuses a --resume whose model.json is a folder, or that names a file, with exit 2 naming the file', async () => {
    const ckpt = join(dir, 'folder-json');
    mkdirSync(join(ckpt, 'model.json'), { recursive: true });
    writeFileSync(join(ckpt, 'model.safetensors'), 'x');
    const r = await runTool('scripts/eval.ts', ['--resume', ckpt, '--questions', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(ckpt, 'model.json')} is not a file`);
    expect(r.stderr).not.toMatch(STACK_TRACE);

    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a checkpoint');
    const f = await runTool('scripts/eval.ts', ['--resume', file, '--questions', '1']);
    expect(f.code, f.stderr).toBe(2);
    expect(f.stderr).toContain(`--resume ${file} is a file`);
    expect(f.stderr).not.toMatch(STACK_TRACE);
  }, 60_000);

  it('exits 2 when the --json report cannot be written (stdout on a full disk)', async () => {
    const ckpt = join(dir, 'ckpt');
    const trained = await runTool('scripts/train.ts', ['--preset', 'test', '--samples', '8', '--eval-every', '0', '--steps', '1', '--out', ckpt]);
    expect(trained.code, trained.stderr).toBe(0);
    const r = await runTool('scripts/eval.ts', ['--resume', ckpt, '--questions', '1', '--json'], { stdoutFile: '/dev/full' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/eval: writing stdout failed: ENOSPC/);
    expect(r.stderr).toContain('1/1 questions'); // the evaluation itself ran: the full disk is what failed
  }, 120_000);
});
