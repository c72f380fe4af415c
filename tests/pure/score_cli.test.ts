// The scoring CLI (`npm run score`, scripts/score.ts) end to end: interleaved JSON Lines groups, the
// Video-R1 {"results": [...]} document, bad lines, exit codes, and advantages checked by hand; and its
// faults (README, "Faults"): disk full, a bad --out, empty input, invalid UTF-8, a run killed midway.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'p2r-score-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/score.ts', ...args], { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: '', JUDGE_API_KEY: '', ...env } });
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

/** The CLI as a direct child (node --import tsx), so a signal reaches the script itself, not npx. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/score.ts', ...args], { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: '', JUDGE_API_KEY: '' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

/** An OpenAI-compatible judge that counts requests; with `hold`, it never answers (a run in progress). */
async function judgeServer(hold = false) {
  let requests = 0;
  let first: () => void = () => undefined;
  const firstRequest = new Promise<void>((resolve) => (first = resolve));
  const server = createServer((req, res) => {
    requests++;
    first();
    req.resume();
    if (hold) return;
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '<judgement>Yes</judgement>' } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests: () => requests,
    firstRequest,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function outputLines(path: string): Record<string, any>[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
}

/** A multiple-choice rollout; `seen` is the judge verdict carried in the record for --judge field:seen. */
function mc(problem_id: string | number, answer: string, seen: number, extra: Record<string, unknown> = {}) {
  return {
    problem_id,
    problem: 'Which shape moves?',
    problem_type: 'multiple choice',
    options: ['A. circle', 'B. square'],
    solution: '<answer>A</answer>',
    data_type: 'video',
    output: `<observation> I see the circle move </observation> <think> so the answer is ${answer} </think> <answer>${answer}</answer>`,
    seen,
    ...extra,
  };
}

const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('npm run score', { timeout: 60_000 }, () => {
  it('scores two interleaved groups in input order with advantages equal to a hand computation', async () => {
    // Group q1: answers A, B, A (reasoning 2, 1, 2) and verdicts 1, 1, 0 (perception 2, 2, 1).
    // Group q2: answers A, A (reasoning 2, 2: collapsed) and verdicts 1, 0 (perception 2, 1).
    const input = file('interleaved.jsonl', jsonl([
      mc('q1', 'A', 1, { idx: 0 }),
      mc('q2', 'A', 1, { idx: 1 }),
      mc('q1', 'B', 1, { idx: 2 }),
      mc('q2', 'A', 0, { idx: 3 }),
      mc('q1', 'A', 0, { idx: 4 }),
    ]));
    const out = join(dir, 'interleaved.out.jsonl');
    const r = await runCli(['--in', input, '--out', out, '--judge', 'field:seen']);
    expect(r.stderr).toMatch(/5\/5 records scored \(0 bad\), 2 groups/);
    expect(r.code).toBe(0);
    const lines = outputLines(out);
    expect(lines.map((l) => l.idx)).toEqual([0, 1, 2, 3, 4]);
    expect(lines[0].problem).toBe('Which shape moves?'); // input fields kept
    expect(lines.map((l) => l.rewards.perception.total)).toEqual([2, 2, 2, 1, 1]);
    expect(lines.map((l) => l.rewards.reasoning.total)).toEqual([2, 2, 1, 2, 2]);
    expect(lines[2].rewards.reasoning).toEqual({ accuracy: 0, format: 1, length: 0, total: 1 });

    // q1 reasoning [2, 1, 2]: mean 5/3, deviations [1/3, −2/3, 1/3], unbiased var (1/9 + 4/9 + 1/9)/2 = 1/3
    const s = Math.sqrt(1 / 3) + 1e-4;
    expect(lines[0].advantages.reasoning).toBeCloseTo(1 / 3 / s, 12);
    expect(lines[2].advantages.reasoning).toBeCloseTo(-2 / 3 / s, 12);
    expect(lines[4].advantages.reasoning).toBeCloseTo(1 / 3 / s, 12);
    // q1 perception [2, 2, 1]: the same spread, mirrored
    expect(lines[0].advantages.perception).toBeCloseTo(1 / 3 / s, 12);
    expect(lines[4].advantages.perception).toBeCloseTo(-2 / 3 / s, 12);
    expect(lines[2].advantages.grpo).toBeCloseTo(lines[2].advantages.reasoning, 12);
    // q2 perception [2, 1]: ±0.5 / (sqrt(0.5) + 1e-4); reasoning equal → 0
    const s2 = Math.sqrt(0.5) + 1e-4;
    expect(lines[1].advantages.perception).toBeCloseTo(0.5 / s2, 12);
    expect(lines[3].advantages.perception).toBeCloseTo(-0.5 / s2, 12);
    expect(lines[1].advantages.reasoning).toBe(0);
    expect(lines[3].advantages.grpo).toBe(0);
    expect(lines[1].diagnostics).toMatchObject({ groupSize: 2, collapsedPerception: false, collapsedReasoning: true, collapsedBoth: false });
    expect(lines[0].diagnostics.groupSize).toBe(3);
  });

  it('puts the reasoning advantage on both processes in --mode grpo and never reads the verdicts', async () => {
    const input = file('grpo.jsonl', jsonl([mc('q1', 'A', 1), mc('q1', 'B', 0), mc('q1', 'A', 1)]));
    const out = join(dir, 'grpo.out.jsonl');
    const r = await runCli(['--in', input, '--out', out, '--judge', 'field:seen', '--mode', 'grpo']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/judge field:seen: 0 calls/);
    const lines = outputLines(out);
    for (const l of lines) {
      expect(l.rewards.perception.total).toBe(0);
      expect(l.advantages.perception).toBe(l.advantages.grpo);
      expect(l.advantages.reasoning).toBe(l.advantages.grpo);
    }
    expect(lines[1].advantages.grpo).toBeLessThan(0);
  });

  it('forms separate groups for the same problem_id at different steps', async () => {
    const input = file('steps.jsonl', jsonl([mc(7, 'A', 1, { step: 1 }), mc(7, 'B', 1, { step: 2 }), mc(7, 'B', 1, { step: 1 })]));
    const out = join(dir, 'steps.out.jsonl');
    const r = await runCli(['--in', input, '--out', out, '--judge', 'field:seen']);
    expect(r.stderr).toMatch(/2 groups/);
    const lines = outputLines(out);
    expect(lines.map((l) => l.diagnostics.groupSize)).toEqual([2, 1, 2]);
    expect(lines[1].advantages.reasoning).toBe(0);
    expect(lines[0].advantages.reasoning).toBeGreaterThan(0);
  });

  it('reads a pretty-printed Video-R1 {"results": [...]} document and a top-level list', async () => {
    const results = [mc(1, 'A', 1), mc(1, 'B', 0), { ...mc(2, 'A', 1), problem_type: 'numerical', options: [], solution: '<answer>3</answer>', output: '<answer>3</answer>' }];
    const doc = file('eval.json', JSON.stringify({ results, final_acc: [{ mean_acc: 0.5, mean_mra: 0 }] }, null, 4));
    const out = join(dir, 'eval.out.jsonl');
    const r = await runCli(['--in', doc, '--out', out, '--judge', 'field:seen']);
    expect(r.code).toBe(0);
    const lines = outputLines(out);
    expect(lines).toHaveLength(3);
    expect(lines[0].rewards.reasoning.accuracy).toBe(1);
    expect(lines[1].rewards.reasoning.accuracy).toBe(0);
    expect(lines[2].rewards.reasoning).toEqual({ accuracy: 1, format: 0, length: 0, total: 1 });
    expect(lines[0].advantages.reasoning).toBeGreaterThan(0);

    const list = file('list.json', JSON.stringify(results));
    const out2 = join(dir, 'list.out.jsonl');
    expect((await runCli(['--in', list, '--out', out2, '--judge', 'field:seen'])).code).toBe(0);
    expect(outputLines(out2)).toEqual(lines);
  });

  it('reports bad lines on stderr as FILE:LINE: reason, writes them in place with an error, and scores the rest', async () => {
    const text = [
      JSON.stringify(mc('q', 'A', 1)),
      '{"problem_id": 1, "problem": ', // line 2: invalid JSON
      '',
      JSON.stringify({ problem_id: 'q', problem: 'p', problem_type: 'multiple choice', solution: '<answer>A</answer>' }), // line 4
      JSON.stringify({ ...mc('q', 'A', 1), problem_type: 'essay' }), // line 5
      JSON.stringify(mc('q', 'B', 0)),
    ].join('\n');
    const input = file('bad.jsonl', text + '\n');
    const out = join(dir, 'bad.out.jsonl');
    const r = await runCli(['--in', input, '--out', out, '--judge', 'field:seen']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${input}:2: invalid JSON`);
    expect(r.stderr).toContain(`${input}:4: missing field: output`);
    expect(r.stderr).toContain(`${input}:5: unknown problem_type 'essay'`);
    const lines = outputLines(out);
    expect(lines).toHaveLength(5); // the blank line is not a record
    expect(lines[1]).toEqual({ raw: '{"problem_id": 1, "problem": ', error: expect.stringMatching(/^invalid JSON/) });
    expect(lines[2]).toMatchObject({ problem_id: 'q', error: 'missing field: output' });
    expect(lines[3]).toMatchObject({ problem_type: 'essay', error: "unknown problem_type 'essay'" });
    expect(lines[3].rewards).toBeUndefined();
    expect(lines[0].rewards.reasoning.accuracy).toBe(1);
    expect(lines[4].rewards.reasoning.accuracy).toBe(0);
    expect(lines[0].diagnostics.groupSize).toBe(2);
  });

  it('exits non-zero when no line could be scored, or on a usage error', async () => {
    const allBad = file('allbad.jsonl', 'nope\n{"problem_id": 1}\n');
    const out = join(dir, 'allbad.out.jsonl');
    const r = await runCli(['--in', allBad, '--out', out]);
    expect(r.code).toBe(1);
    expect(outputLines(out).map((l) => l.error !== undefined)).toEqual([true, true]);

    const [empty, usage, noOut, sameOut, http] = await Promise.all([
      runCli(['--in', file('empty.jsonl', ''), '--out', join(dir, 'empty.out')]),
      runCli(['--in', allBad, '--out', join(dir, 'u1'), '--mode', 'ppo']),
      runCli(['--in', allBad]),
      runCli(['--in', allBad, '--out', allBad]),
      runCli(['--in', allBad, '--out', join(dir, 'u2'), '--judge', 'http']),
    ]);
    expect(empty.code).toBe(1);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown ablation mode 'ppo'/);
    expect(noOut.code).toBe(2);
    expect(sameOut.code).toBe(2);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/--judge-url and --judge-model/);
  });

  it('uses the rules judge over scene facts by default and counts records without facts as judge failures', async () => {
    const facts = [{ id: 'c', text: 'the circle moves', mentions: [['circle'], ['move', 'moves']] }];
    const input = file('rules.jsonl', jsonl([mc('q', 'A', 0, { facts }), mc('q', 'A', 0, { facts: [{ ...facts[0], mentions: [['square']] }] }), mc('q', 'A', 0)]));
    const out = join(dir, 'rules.out.jsonl');
    const r = await runCli(['--in', input, '--out', out, '--tokenizer', 'bytes']);
    expect(r.code).toBe(0);
    const lines = outputLines(out);
    expect(lines.map((l) => l.rewards.perception.accuracy)).toEqual([1, 0, 0]);
    expect(lines[2].judge_error).toMatch(/no scene facts/);
    expect(r.stderr).toMatch(/judge rules: 3 calls, 0 cache hits, 1 failures/);
    expect(lines[0].tokens.perception).toBe('<observation> I see the circle move </observation>'.length);
  });

  it('asks an OpenAI-compatible judge on 127.0.0.1 with the key from JUDGE_API_KEY, once per distinct observation', async () => {
    const seen: { auth: string | undefined; prompt: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const prompt: string = JSON.parse(body).messages[0].content;
        seen.push({ auth: req.headers.authorization, prompt });
        const verdict = prompt.includes('circle move') ? 'Yes' : 'No';
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `<judgement>${verdict}</judgement>` } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const other = { ...mc('q', 'A', 0), output: '<observation> nothing here </observation> <think> the answer is A </think> <answer>A</answer>' };
      const input = file('http.jsonl', jsonl([mc('q', 'A', 0), other, mc('q', 'B', 0)]));
      const out = join(dir, 'http.out.jsonl');
      const r = await runCli(['--in', input, '--out', out, '--judge', 'http', '--judge-url', url, '--judge-model', 'judge-x'], { JUDGE_API_KEY: 'sk-cli-test' });
      expect(r.code).toBe(0);
      expect(outputLines(out).map((l) => l.rewards.perception.accuracy)).toEqual([1, 0, 1]);
      expect(seen).toHaveLength(2); // the third observation equals the first: a cache hit
      expect(seen.every((s) => s.auth === 'Bearer sk-cli-test')).toBe(true);
      expect(r.stderr).toMatch(/judge http:judge-x: 3 calls, 1 cache hits, 0 failures/);
      expect(readFileSync(out, 'utf8')).not.toContain('sk-cli-test');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('documents every option in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--in', '--out', '--judge', '--judge-url', '--judge-model', '--tokenizer', '--mode', 'field:NAME', 'OPENAI_API_KEY', 'results', 'Exit status']) {
      expect(r.stdout).toContain(flag);
    }
  });
});

describe('npm run score: faults', { timeout: 60_000 }, () => {
  const four = () => jsonl([mc('q', 'A', 1), mc('q', 'B', 1), mc('q', 'A', 0), mc('q', 'B', 0)]);

  it('fails with exit 2 naming the file when the disk is full (--out /dev/full), and does not claim records were scored', async () => {
    const input = file('full.jsonl', four());
    const r = await runCli(['--in', input, '--out', '/dev/full', '--judge', 'field:seen']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/writing \/dev\/full failed: ENOSPC/);
    expect(r.stderr).not.toMatch(/records scored/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses --out in a missing folder or naming a directory with exit 2 and the file name, before any judge call', async () => {
    const judge = await judgeServer();
    try {
      const input = file('badpath.jsonl', four());
      const http = ['--judge', 'http', '--judge-url', judge.url, '--judge-model', 'm'];
      const missing = join(dir, 'no-such-folder', 'out.jsonl');
      const [inMissing, isDir] = await Promise.all([runCli(['--in', input, '--out', missing, ...http]), runCli(['--in', input, '--out', dir, ...http])]);
      expect(inMissing.code).toBe(2);
      expect(inMissing.stderr).toContain(`--out ${missing}: the folder ${join(dir, 'no-such-folder')} does not exist`);
      expect(isDir.code).toBe(2);
      expect(isDir.stderr).toContain(`--out ${dir} is a directory`);
      for (const r of [inMissing, isDir]) expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(judge.requests()).toBe(0);
      expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
    } finally {
      await judge.close();
    }
  });

  it('says the input was empty (0 bytes, or only blank lines) and writes nothing', async () => {
    const out = join(dir, 'empty-fault.out');
    const [zero, blank] = await Promise.all([
      runCli(['--in', file('zero.jsonl', ''), '--out', out]),
      runCli(['--in', file('blank.jsonl', '\n  \n\n'), '--out', out]),
    ]);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain(`${join(dir, 'zero.jsonl')} is empty (0 bytes): nothing to score; ${out} not written`);
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain(`${join(dir, 'blank.jsonl')} holds no records`);
    expect(existsSync(out)).toBe(false);
  });

  it('warns about invalid UTF-8 with the file and line, in JSON Lines and in a JSON document, and still scores', async () => {
    const good = Buffer.from(JSON.stringify(mc('q', 'A', 1)) + '\n');
    const bad = Buffer.from(JSON.stringify(mc('q', 'B', 1)).replace('Which shape', 'Which \u0001shape'));
    const badBytes = Buffer.concat([bad.subarray(0, bad.indexOf(1)), Buffer.from([0xff, 0xfe]), bad.subarray(bad.indexOf(1) + 1), Buffer.from('\n')]);
    const lines = join(dir, 'utf8.jsonl');
    writeFileSync(lines, Buffer.concat([good, badBytes, good]));
    const doc = join(dir, 'utf8.json');
    writeFileSync(doc, Buffer.concat([Buffer.from('{"results": [\n'), good.subarray(0, -1), Buffer.from(',\n'), badBytes.subarray(0, -1), Buffer.from('\n]}\n')]));
    const [a, b] = await Promise.all([
      runCli(['--in', lines, '--out', join(dir, 'utf8.out'), '--judge', 'field:seen']),
      runCli(['--in', doc, '--out', join(dir, 'utf8doc.out'), '--judge', 'field:seen']),
    ]);
    expect(a.code).toBe(0);
    expect(a.stderr).toContain(`${lines}:2: warning: invalid UTF-8, replaced with U+FFFD`);
    expect(a.stderr).not.toMatch(/:1: warning|:3: warning/);
    expect(outputLines(join(dir, 'utf8.out'))[1].problem).toBe('Which \uFFFD\uFFFDshape moves?');
    expect(b.code).toBe(0);
    expect(b.stderr).toContain(`${doc}:3: warning: invalid UTF-8, replaced with U+FFFD`);
  });

  it('leaves an existing --out as it was when killed midway (SIGTERM: no partial file left; SIGKILL: only OUT.partial-PID)', async () => {
    const judge = await judgeServer(true); // never answers: the run is always in progress
    try {
      const input = file('killed.jsonl', four());
      const args = (out: string) => ['--in', input, '--out', out, '--judge', 'http', '--judge-url', judge.url, '--judge-model', 'm', '--judge-retries', '0', '--judge-timeout', '60000'];
      const killDir = join(dir, 'killed');
      mkdirSync(killDir);
      const out = join(killDir, 'scored.jsonl');
      writeFileSync(out, 'previous results\n');

      const term = startCli(args(out));
      await judge.firstRequest;
      term.child.kill('SIGTERM');
      const t = await term.done;
      expect(t.code).toBe(143);
      expect(t.stderr).toContain(`interrupted (SIGTERM); ${out} is unchanged`);
      expect(readFileSync(out, 'utf8')).toBe('previous results\n');
      expect(readdirSync(killDir)).toEqual(['scored.jsonl']);

      const before = judge.requests();
      const kill = startCli(args(out));
      while (judge.requests() === before) await new Promise((r) => setTimeout(r, 20));
      kill.child.kill('SIGKILL');
      const k = await kill.done;
      expect(k.signal).toBe('SIGKILL');
      expect(readFileSync(out, 'utf8')).toBe('previous results\n');
      expect(readdirSync(killDir).sort()).toEqual(['scored.jsonl', `scored.jsonl.partial-${kill.child.pid}`]);
    } finally {
      await judge.close();
    }
  });
});
