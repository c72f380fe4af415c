// `npm run eval -- --outputs …` (scripts/eval.ts, scripts/eval_outputs.ts) as a subprocess, on the
// Video-R1 evaluation JSON fixtures of tests/fixtures/benchmark_outputs/ (two models, three
// benchmarks), with the scores computed by hand; and its errors: bad records as FILE:LINE, a missing
// path, a file that is not an outputs file, each exit 2 with no table.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'benchmark_outputs');
const dir = mkdtempSync(join(tmpdir(), 'p2r-bench-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runEval(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/eval.ts', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// The fixtures, by hand:
//   ModelA VSI-Bench: counting y=10 ŷ=8 → MRA 0.6; room size y=20 ŷ="20.0" → 1; MC wrong (B for A) → 0;
//     MC right with no <answer> tag (the whole output "A") → 1. ACC 1/2, MRA 0.8 → VSI (0.5 + 0.8)/2 = 65.0
//   ModelA MVBench: action_sequence 1 of 2, fine_grained_action 2 of 2 → 3/4 = 75.0
//   ModelB VSI-Bench: counting y=4 ŷ=3 → error 0.25 ≤ 1 − 0.75 → MRA 0.6; MC right → 1 → (1 + 0.6)/2 = 80.0
//   ModelB VideoMMMU: OCR "hello" for "hello world" → WER 0.5 → 0.5; free-form "the cat sat" for
//     "the cat sat on the mat" → ROUGE 40/63 → (0.5 + 40/63)/2 = 0.5675 → 56.7
describe('npm run eval -- --outputs', () => {
  it('prints the benchmark table of a folder of Video-R1 evaluation files, one row per model', async () => {
    const r = await runEval(['--outputs', FIXTURES]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('|  | VSI. | VideoMMMU | MMVU | VCR. | MV. | TempCom. | VideoMME |  |');
    expect(r.stdout).toContain('| ModelA | 65.0 | — | — | — | 75.0 | — | — | — |');
    expect(r.stdout).toContain('| ModelB | 80.0 | 56.7 | — | — | — | — | — | — |');
    expect(r.stdout).toContain('| ModelA | VSI-Bench | object_counting | MRA | 1 | 60.0 |  |');
    expect(r.stdout).toContain('| ModelB | VideoMMMU | Perception | 1 − WER | 1 | 50.0 | 0.500 |');
  }, 60_000);

  it('prints one JSON object with --json, per benchmark and task', async () => {
    const r = await runEval(['--outputs', join(FIXTURES, 'eval_vsibench_ModelA_greedy_output.json'), '--model', 'Renamed', '--outputs', join(FIXTURES, 'eval_vsibench_ModelB_greedy_output.json'), '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out.models.map((m: { model: string }) => m.model)).toEqual(['ModelA', 'Renamed']);
    const vsiA = out.models[0].benchmarks[0];
    expect(vsiA.name).toBe('VSI-Bench');
    expect(vsiA.parts.accuracy).toEqual({ n: 2, score: 0.5 });
    expect(vsiA.parts.mra.score).toBeCloseTo(0.8, 12);
    expect(vsiA.score).toBeCloseTo(0.65, 12);
    expect(out.models[1].benchmarks[0].score).toBeCloseTo(0.8, 12);
    expect(out.table.sections[0].rows[1].cells[0]).toBeCloseTo(80, 9);
  }, 60_000);

  it('names each bad record as FILE:LINE: field and exits 2 without a table; --skip-bad scores the rest', async () => {
    const bad = join(dir, 'eval_mmvu_ModelC_greedy_output.json');
    writeFileSync(
      bad,
      [
        '{"results": [',
        '  {"problem_type": "multiple choice", "solution": "<answer>A</answer>", "output": "<answer>A</answer>"},',
        '  {"problem_type": "multiple choice", "solution": "<answer>B</answer>"},',
        '  {"problem_type": "essay", "solution": "<answer>A</answer>", "output": "A"}',
        ']}',
      ].join('\n'),
    );
    const r = await runEval(['--outputs', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:3: output: missing`);
    expect(r.stderr).toContain(`${bad}:4: problem_type: "essay" is not one of`);
    expect(r.stderr).toMatch(/2 bad records .*--skip-bad/);
    expect(r.stdout).not.toContain('| Model |');

    const skipped = await runEval(['--outputs', bad, '--skip-bad']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('1 of 3 records scored (2 bad, skipped)');
    expect(skipped.stdout).toContain('| ModelC | — | — | 100.0 |');
  }, 60_000);

  it('exits 2 naming a missing path, a file that is no outputs file, --write-outputs without a checkpoint, and a misplaced --model', async () => {
    const missing = await runEval(['--outputs', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nope.json')}: no such file or folder`);

    const notOutputs = join(dir, 'scores.json');
    writeFileSync(notOutputs, '{\n  "model": "x",\n  "acc": [1, 2,, 3]\n}\n');
    const r = await runEval(['--outputs', notOutputs]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${notOutputs}: line 3, column 16: invalid JSON: expected a value, found ','`);

    const noCheckpoint = await runEval(['--outputs', FIXTURES, '--write-outputs', join(dir, 'ours.json')]);
    expect(noCheckpoint.code).toBe(2);
    expect(noCheckpoint.stderr).toMatch(/--write-outputs .*needs --resume DIR/);

    const misplaced = await runEval(['--outputs', FIXTURES, '--model', 'X']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--model applies to the --outputs that follow it/);
  }, 60_000);
});
