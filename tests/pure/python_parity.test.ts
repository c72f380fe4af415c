// Parity of the Python package (integrations/python, p2r_rl) with the TypeScript rewards: the shared
// fixture tests/fixtures/parity/rollouts.jsonl is scored by `npm run score` (scripts/score.ts) and by
// `python -m p2r_rl score` with the same options, for every ablation mode and tokenizer, and every
// reward part, advantage and token count must agree to 1e-6. Token ids and per-token advantages of the
// byte and BPE tokenizers are compared with src/rewards' own encoders and tokenAdvantages.
// Python is Debian's /usr/bin/python3 (the package needs only the standard library to score).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenAdvantages } from '../../src/rewards/advantages';
import { parseCompletion } from '../../src/rewards/template';
import { tokenizerFromSpec } from '../../src/rewards/tokenizers';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'parity', 'rollouts.jsonl');
const BPE = join(ROOT, 'tests', 'fixtures', 'parity', 'tokenizer.json');
const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'p2r-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: '', JUDGE_API_KEY: '', ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

type Row = Record<string, any>;
const lines = (path: string): Row[] => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Row);

/** Scores the fixture with both CLIs; returns their output records. */
async function scoreBoth(name: string, options: string[], pythonExtra: string[] = []): Promise<{ ts: Row[]; py: Row[] }> {
  const tsOut = join(dir, `${name}.ts.jsonl`);
  const pyOut = join(dir, `${name}.py.jsonl`);
  const [ts, py] = await Promise.all([
    run('npx', ['tsx', 'scripts/score.ts', '--in', FIXTURE, '--out', tsOut, ...options]),
    run(PYTHON, ['-m', 'p2r_rl', 'score', '--in', FIXTURE, '--out', pyOut, ...options, ...pythonExtra], { PYTHONPATH: join(ROOT, 'integrations', 'python') }),
  ]);
  expect(ts.code, ts.stderr).toBe(0);
  expect(py.code, py.stderr).toBe(0);
  return { ts: lines(tsOut), py: lines(pyOut) };
}

const close = (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-6;

/** Every number both sides compute, per record; mismatches listed as `record i: path ts py`. */
function compare(ts: Row[], py: Row[]): string[] {
  const diffs: string[] = [];
  expect(py.length).toBe(ts.length);
  ts.forEach((t, i) => {
    const p = py[i];
    if ('error' in t || 'error' in p) {
      if ('error' in t !== 'error' in p) diffs.push(`record ${i}: error ${t.error} vs ${p.error}`);
      return;
    }
    const check = (path: string, a: unknown, b: unknown) => {
      if (!close(a, b) && a !== b) diffs.push(`record ${i} (${t.problem_id}): ${path} ts=${JSON.stringify(a)} py=${JSON.stringify(b)}`);
    };
    for (const process of ['perception', 'reasoning']) {
      for (const part of ['accuracy', 'format', 'length', 'total']) check(`rewards.${process}.${part}`, t.rewards[process][part], p.rewards[process][part]);
      check(`tokens.${process}`, t.tokens[process], p.tokens[process]);
    }
    for (const k of ['perception', 'reasoning', 'grpo']) check(`advantages.${k}`, t.advantages[k], p.advantages[k]);
    for (const k of ['groupSize', 'collapsedPerception', 'collapsedReasoning', 'collapsedBoth']) check(`diagnostics.${k}`, t.diagnostics[k], p.diagnostics[k]);
    check('judge_error (present)', 'judge_error' in t, 'judge_error' in p);
  });
  return diffs;
}

const SMALL = ['--perception-length', '3:12', '--reasoning-length', '4:16'];

describe('the Python package p2r_rl scoring the shared fixture', () => {
  it('covers every problem type, groups of one to five, judge fields, a judge error and bad records', () => {
    const records = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
    const parsed = records.flatMap((l) => {
      try {
        return [JSON.parse(l) as Row];
      } catch {
        return [];
      }
    });
    expect(new Set(parsed.map((r) => r.problem_type))).toEqual(new Set(['multiple choice', 'numerical', 'OCR', 'free-form', 'regression']));
    expect(parsed.filter((r) => r.output === undefined)).toHaveLength(1);
    expect(records.length - parsed.length).toBe(1);
  });

  const CASES: [string, string[]][] = [
    ['defaults: pa-grpo, rules judge, whitespace tokens', []],
    ['field judge, byte tokens, the default length ranges', ['--judge', 'field:judge', '--tokenizer', 'bytes']],
    ['BPE tokenizer.json, Video-R1 length parity (threshold 0.1, more than one correct)', ['--judge', 'field:judge', '--tokenizer', BPE, '--accuracy-threshold', '0.1', '--len-multiple-correct', ...SMALL]],
    ['mode grpo', ['--judge', 'field:judge', '--mode', 'grpo', ...SMALL]],
    ['mode without-rr', ['--judge', 'field:judge', '--mode', 'without-rr', ...SMALL]],
    ['mode without-rp', ['--judge', 'field:judge', '--mode', 'without-rp', ...SMALL]],
    ['mode without-rl', ['--judge', 'field:judge', '--mode', 'without-rl', ...SMALL]],
    ['mode without-separation', ['--judge', 'field:judge', '--mode', 'without-separation', '--tokenizer', 'bytes', ...SMALL]],
    ['mode without-separation-sum-rewards', ['--judge', 'field:judge', '--mode', 'without-separation-sum-rewards', ...SMALL]],
    [
      'full format regex, biased std, eps, bonus, missing observation to perception, sum-rewards',
      ['--judge', 'field:judge', '--format-mode', 'full', '--biased-std', '--eps', '0.01', '--len-bonus', '0.5', '--missing-observation', 'perception', '--advantage-mode', 'sum-rewards', ...SMALL],
    ],
  ];

  for (const [name, options] of CASES) {
    it(`gives the TypeScript CLI's rewards, advantages and token counts: ${name}`, async () => {
      const { ts, py } = await scoreBoth(name.replace(/[^a-z0-9]+/gi, '-'), options);
      expect(compare(ts, py)).toEqual([]);
      // Not a vacuous comparison: rewards and advantages vary across the fixture.
      const totals = new Set(ts.filter((r) => r.rewards).map((r) => r.rewards.reasoning.total + 10 * r.rewards.perception.total));
      expect(totals.size).toBeGreaterThan(3);
      expect(ts.some((r) => r.advantages && r.advantages.perception !== 0)).toBe(true);
    }, 120_000);
  }

  for (const [name, spec] of [
    ['bytes', 'bytes'],
    ['the BPE tokenizer.json', BPE],
  ] as const) {
    it(`gives src/rewards' token ids and per-token advantages with ${name}`, async () => {
      const { ts, py } = await scoreBoth(`tokens-${name}`.replace(/[^a-z0-9]+/gi, '-'), ['--judge', 'field:judge', '--tokenizer', spec, ...SMALL], ['--token-advantages']);
      const tokenizer = tokenizerFromSpec(spec === 'bytes' ? 'bytes' : JSON.parse(readFileSync(spec, 'utf8')));
      let mixed = 0;
      ts.forEach((t, i) => {
        if (!t.advantages) return;
        const { ids, offsets } = tokenizer.encode(t.output);
        const expected = tokenAdvantages(offsets, parseCompletion(t.output).perceptionEnd, t.advantages.perception, t.advantages.reasoning);
        expect(py[i].token_ids, `record ${i}`).toEqual(ids);
        const got: number[] = py[i].token_advantages;
        expect(got).toHaveLength(expected.length);
        expect(got.every((v, k) => Math.abs(v - expected[k]) <= 1e-6), `record ${i}`).toBe(true);
        if (new Set(got).size > 1) mixed++;
      });
      expect(mixed).toBeGreaterThan(5); // rollouts whose perception and reasoning tokens differ
    }, 120_000);
  }
});
