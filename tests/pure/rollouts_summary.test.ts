// `npm run rollouts -- summary` (issue 11): the per-step summary of every import format, through the
// inspector's own importers, checked against values computed here from the fixtures' raw numbers; null
// where a value is unknown; bad lines as FILE:LINE: reason; and the command itself as a subprocess.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/rollouts/importers';
import { toJsonl } from '../../src/rollouts/export';
import { summarizeSteps } from '../../src/rollouts/group';
import { quadrantRule } from '../../src/rollouts/record';
import { rescoreRun } from '../../src/rollouts/rescore_group';
import { summarizeFiles, summarizeRun, type StepLine } from '../../src/rollouts/summary';
import { RuleJudge } from '../../src/rewards/judge';
import {
  enc,
  inspectEvalLog,
  inspectEvalZipDeflate,
  inspectEvalZipZstd,
  rllbJsonl,
  syntheticRun,
  trlRows,
  verlStepJsonl,
  verlV1StepJsonl,
  videoR1Eval,
  wandbTable,
  type FixtureRollout,
} from '../fixtures/inspect_fixtures';
import { trlParquet, trlParquetName } from '../fixtures/inspect_parquet';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'p2r-rollouts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = syntheticRun(2, 4);

/** One fixture rollout as the summary should see it: its step, group and raw values (null: the source has none). */
interface Expect {
  step: number;
  group: string;
  score: number | null;
  p: number | null;
  r: number | null;
}

const finite = (x: number | null): x is number => x !== null && Number.isFinite(x);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const midpoint = (xs: number[]) => (Math.min(...xs) + Math.max(...xs)) / 2;
/** Collapsed: every reward of the group known and equal for that process. */
const collapsedGroup = (g: readonly Expect[], k: 'p' | 'r') => g.every((x) => finite(x[k])) && g.every((x) => x[k] === g[0][k]);

/** The summary computed by hand from raw values, with the midpoint rule on each process's totals. */
function expected(rows: readonly Expect[]): StepLine[] {
  const thrP = midpoint(rows.map((x) => x.p).filter(finite));
  const thrR = midpoint(rows.map((x) => x.r).filter(finite));
  return [...new Set(rows.map((x) => x.step))]
    .sort((a, b) => a - b)
    .map((step) => {
      const rs = rows.filter((x) => x.step === step);
      const groups = [...new Set(rs.map((x) => x.group))].map((g) => rs.filter((x) => x.group === g));
      const collapsed = (k: 'p' | 'r') => groups.filter((g) => collapsedGroup(g, k)).length;
      const hasP = rs.some((x) => finite(x.p));
      const hasR = rs.some((x) => finite(x.r));
      const both = rs.filter((x) => finite(x.p) && finite(x.r));
      const quad = (ph: boolean, rh: boolean) => (both.length ? both.filter((x) => x.p! >= thrP === ph && x.r! >= thrR === rh).length : null);
      return {
        step,
        rollouts: rs.length,
        groups: groups.length,
        mean_score: mean(rs.map((x) => x.score).filter(finite)),
        mean_perception: mean(rs.map((x) => x.p).filter(finite)),
        mean_reasoning: mean(rs.map((x) => x.r).filter(finite)),
        collapsed: {
          perception: hasP ? collapsed('p') : null,
          reasoning: hasR ? collapsed('r') : null,
          both: hasP && hasR ? groups.filter((g) => collapsedGroup(g, 'p') && collapsedGroup(g, 'r')).length : null,
        },
        quadrants: { PhRh: quad(true, true), PhRl: quad(true, false), PlRh: quad(false, true), PlRl: quad(false, false) },
      };
    });
}

const rowsOf = (rs: readonly FixtureRollout[], f: (r: FixtureRollout) => Partial<Expect>): Expect[] =>
  rs.map((r) => ({ step: r.step, group: String(r.promptIdx), score: null, p: null, r: null, ...f(r) }));

/** Numbers compared to 12 digits (means are sums divided). */
function expectSteps(actual: StepLine[], want: StepLine[]) {
  expect(actual.map((s) => s.step)).toEqual(want.map((s) => s.step));
  actual.forEach((s, i) => {
    const w = want[i];
    expect({ ...s, mean_score: null, mean_perception: null, mean_reasoning: null }).toEqual({ ...w, mean_score: null, mean_perception: null, mean_reasoning: null });
    for (const k of ['mean_score', 'mean_perception', 'mean_reasoning'] as const) {
      if (w[k] === null) expect(s[k]).toBeNull();
      else expect(s[k]).toBeCloseTo(w[k]!, 12);
    }
  });
}

describe('summary of every import format', () => {
  it('verl (classic {step}.jsonl, NaN and Infinity in an extra column)', async () => {
    const files = [1, 2].map((s) => ({ name: `${s}.jsonl`, bytes: enc(verlStepJsonl(run, s)) }));
    const { summary, format } = await summarizeFiles(files);
    expect(format).toBe('verl');
    expectSteps(summary.steps, expected(rowsOf(run, (r) => ({ score: r.score, p: r.perception, r: r.reasoning }))));
    expect(summary.errors).toEqual([]);
  });

  it('verl v1 (uid, no reward extras): per-process values are null until re-scored', async () => {
    const files = [1, 2].map((s) => ({ name: `${s}.jsonl`, bytes: enc(verlV1StepJsonl(run, s)) }));
    const { summary, warnings } = await summarizeFiles(files);
    expect(warnings.join('\n')).toMatch(/per-process rewards are missing/);
    for (const s of summary.steps) {
      expect(s.groups).toBe(4); // the repeated prompt is its own group
      expect(s.rollouts).toBe(16);
      expect(s.mean_score).not.toBeNull();
      expect([s.mean_perception, s.mean_reasoning, s.collapsed.perception, s.collapsed.reasoning, s.collapsed.both]).toEqual([null, null, null, null, null]);
      expect(Object.values(s.quadrants)).toEqual([null, null, null, null]);
    }
    // --rescore: the same re-scoring and the same counts as the page (rescoreRun, then summarizeSteps).
    const rescored = await summarizeFiles(files, { rescore: { judge: new RuleJudge() } });
    expect(rescored.warnings.join('\n')).not.toMatch(/per-process rewards are missing/);
    const page = await rescoreRun((await importFiles(files, { runId: 'p' })).rollouts, { judge: new RuleJudge() });
    const rows = summarizeSteps(page, quadrantRule(page));
    rescored.summary.steps.forEach((s, i) => {
      expect(s.mean_perception).toBeCloseTo(rows[i].perception.total!, 12);
      expect(s.mean_reasoning).toBeCloseTo(rows[i].reasoning.total!, 12);
      expect(s.quadrants).toEqual(rows[i].quadrants);
      expect(s.collapsed).toEqual({ perception: rows[i].collapsedPerception, reasoning: rows[i].collapsedReasoning, both: rows[i].collapsedBoth });
    });
  });

  it('TRL parquet and W&B table (one NaN reward, no trainer score)', async () => {
    const want = expected(rowsOf(run, (r) => ({ p: r.perception, r: r.promptIdx === 2 && r.sampleIdx === 0 ? NaN : r.reasoning })));
    const parquet = await summarizeFiles([1, 2].map((s) => ({ name: trlParquetName(s), bytes: trlParquet(run, s) })));
    expect(parquet.format).toBe('trl');
    expectSteps(parquet.summary.steps, want);
    const table = await summarizeFiles([{ name: 'completions.table.json', bytes: enc(JSON.stringify(wandbTable(trlRows(run, 1)))) }]);
    expectSteps(table.summary.steps, want.slice(0, 1));
  });

  it('inspect .eval (deflate and zstd members) and .json logs (no step: step 0)', async () => {
    const step1 = run.filter((r) => r.step === 1);
    const want = expected(rowsOf(step1, (r) => ({ step: 0, p: r.perception - 1, r: r.reasoning - 1 })));
    for (const file of [
      { name: 'log.eval', bytes: inspectEvalZipDeflate(run) },
      { name: 'log-zstd.eval', bytes: inspectEvalZipZstd(run) },
      { name: 'log.json', bytes: enc(JSON.stringify(inspectEvalLog(run))) },
    ]) {
      const { summary, format } = await summarizeFiles([file]);
      expect(format).toBe('inspect');
      expectSteps(summary.steps, want);
    }
  });

  it('RL Logging Board (trainer `reward`, no process rewards)', async () => {
    const { summary, format } = await summarizeFiles([{ name: 'board.jsonl', bytes: enc(rllbJsonl(run)) }]);
    expect(format).toBe('rllb');
    expectSteps(summary.steps, expected(rowsOf(run, (r) => ({ score: r.score }))));
  });

  it('Video-R1 evaluation results (reasoning accuracy only)', async () => {
    const { summary, format } = await summarizeFiles([{ name: 'results.json', bytes: enc(JSON.stringify(videoR1Eval(run))) }]);
    expect(format).toBe('videor1-eval');
    const rows = run.filter((r) => r.step === 1 && r.sampleIdx === 0);
    expectSteps(summary.steps, expected(rowsOf(rows, (r) => ({ step: 0, r: r.reasoning - 1 }))));
  });

  it('our own export gives the summary of the run it was exported from', async () => {
    const files = [1, 2].map((s) => ({ name: `${s}.jsonl`, bytes: enc(verlStepJsonl(run, s)) }));
    const original = await importFiles(files, { runId: 'orig' });
    const { summary, format } = await summarizeFiles([{ name: 'export.jsonl', bytes: enc(toJsonl(original.rollouts)) }]);
    expect(format).toBe('native');
    expect(summary).toEqual(summarizeRun(original.rollouts));
  });
});

describe('summary rules', () => {
  it('counts bad lines as FILE:LINE: reason and leaves them out; the mean score skips NaN', async () => {
    const line = (i: number, score: string) => `{"input": "q${i % 2}", "output": "<answer>A</answer>", "gts": "A", "score": ${score}, "step": 3}`;
    const text = [line(0, '1'), 'not json {', line(1, 'NaN'), '', '[1, 2]', line(2, '0.5'), '42'].join('\n');
    const { summary } = await summarizeFiles([{ name: 'run/3.jsonl', bytes: enc(text) }]);
    expect(summary.errors.map((e) => [e.file, e.line])).toEqual([['run/3.jsonl', 2], ['run/3.jsonl', 5], ['run/3.jsonl', 7]]);
    expect(summary.errors[0].reason).toMatch(/JSON/);
    expect(summary.errors[1].reason).toBe('not a JSON object (a JSON array)');
    expect(summary.steps).toHaveLength(1);
    expect(summary.steps[0]).toMatchObject({ step: 3, rollouts: 3, groups: 2, mean_score: 0.75 });
  });

  it('quadrants follow the rule the page uses, including a threshold the user set', async () => {
    const files = [{ name: '1.jsonl', bytes: enc(verlStepJsonl(run, 1)) }];
    const rs = (await importFiles(files, { runId: 'q' })).rollouts;
    const auto = quadrantRule(rs);
    expect(summarizeRun(rs).steps[0].quadrants).toEqual(summarizeSteps(rs, auto)[0].quadrants);
    const custom = { ...auto, perception: { ...auto.perception, threshold: 2.5, custom: true } };
    expect(summarizeRun(rs, [], custom).steps[0].quadrants).toEqual(summarizeSteps(rs, custom)[0].quadrants);
    expect(summarizeRun(rs, [], custom).steps[0].quadrants).not.toEqual(summarizeRun(rs).steps[0].quadrants);
  });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/rollouts.ts', ...args], { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: '', JUDGE_API_KEY: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run rollouts -- summary (subprocess)', () => {
  it('--json on a verl directory: exactly one JSON object on stdout, bad lines on stderr, exit 0', async () => {
    const verl = join(dir, 'rollout_data');
    mkdirSync(verl);
    writeFileSync(join(verl, '1.jsonl'), verlStepJsonl(run, 1) + 'garbage\n');
    writeFileSync(join(verl, '2.jsonl'), verlStepJsonl(run, 2));
    writeFileSync(join(verl, 'notes.txt'), 'not a rollout file');
    const res = await cli(['summary', verl, '--json']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(res.stdout);
    expect(Object.keys(out)).toEqual(['steps', 'errors']);
    expect(Object.keys(out.steps[0])).toEqual(['step', 'rollouts', 'groups', 'mean_score', 'mean_perception', 'mean_reasoning', 'collapsed', 'quadrants']);
    expect(out.errors).toEqual([{ file: join(verl, '1.jsonl'), line: 13, reason: expect.stringMatching(/JSON/) }]);
    expect(res.stderr).toContain(`${join(verl, '1.jsonl')}:13: `);
    expectSteps(out.steps, expected(rowsOf(run, (r) => ({ score: r.score, p: r.perception, r: r.reasoning }))));
  });

  it('a table on a TRL parquet; --rescore on a verl v1 dump fills R_P and R_R', async () => {
    const parquet = join(dir, trlParquetName(1));
    writeFileSync(parquet, trlParquet(run, 1));
    const text = await cli(['summary', parquet]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^trl: 1 file\n\s*step\s+rollouts\s+groups\s+score\s+R_P\s+R_R\s+coll\.P\s+coll\.R\s+coll\.both\s+PhRh\s+PhRl\s+PlRh\s+PlRl\n\s+1\s+12\s+3\s+–/);
    const v1 = join(dir, '7.jsonl');
    writeFileSync(v1, verlV1StepJsonl(run, 1));
    const plain = JSON.parse((await cli(['summary', v1, '--json'])).stdout);
    expect(plain.steps[0].mean_perception).toBeNull();
    const re = await cli(['summary', v1, '--json', '--rescore', '--judge', 'rules']);
    expect(re.code).toBe(0);
    expect(JSON.parse(re.stdout).steps[0].mean_perception).toEqual(expect.any(Number));
    expect(re.stderr).toMatch(/re-scored with pa-grpo, judge rules: 16 calls/);
  });

  it('exit 2 naming the file: a missing path, a file no importer reads, a bad option', async () => {
    const missing = join(dir, 'nope', '1.jsonl');
    const a = await cli(['summary', missing]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`${missing}: no such file or directory`);
    const png = join(dir, 'shot.jsonl');
    writeFileSync(png, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const b = await cli(['summary', png, '--json']);
    expect(b.code).toBe(2);
    expect(b.stdout).toBe('');
    expect(b.stderr).toContain(`${png}: binary file (PNG image)`);
    const c = await cli(['summary', png, '--judge', 'rules']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--judge and --mode apply to --rescore only/);
  });
});
