// `npm run score -- --judge checklist[:FIELD]` (issue 14 §2): the perception accuracy is the fraction
// of key facts stated; --judge self-answer is refused with exit 2 and says it is RL-only.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'p2r-score-checklist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/score.ts', ...args], { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: '', JUDGE_API_KEY: '' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const record = (observation: string, extra: Record<string, unknown>) => ({
  problem_id: 'q',
  problem: 'How do they move?',
  problem_type: 'free-form',
  solution: '<answer>different ways</answer>',
  output: `<observation>${observation}</observation> <think>t</think><answer>different ways</answer>`,
  ...extra,
});

describe('npm run score --judge checklist', { timeout: 60_000 }, () => {
  it('scores the fraction of key facts from a field or the scene facts, and refuses self-answer', async () => {
    const keyFacts = ['red moves left', 'blue moves up'];
    const facts = [{ id: 'r', text: 'red moves left', mentions: [['red moves left']] }, { id: 'b', text: 'blue moves up', mentions: [['blue moves up']] }];
    const lines = [
      record('Red moves left; blue moves up.', { key_facts: keyFacts, facts }),
      record('red moves left', { key_facts: keyFacts, facts }),
      record('red moves up; red moves down; red moves left; red moves right', { key_facts: keyFacts, facts }),
    ];
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const [field, scene, self] = await Promise.all([
      runCli(['--in', input, '--out', join(dir, 'field.jsonl'), '--judge', 'checklist:key_facts', '--tokenizer', 'bytes']),
      runCli(['--in', input, '--out', join(dir, 'scene.jsonl'), '--judge', 'checklist', '--tokenizer', 'bytes']),
      runCli(['--in', input, '--out', join(dir, 'self.jsonl'), '--judge', 'self-answer']),
    ]);
    const accuracy = (name: string) => readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).rewards.perception.accuracy);
    expect(field.code, field.stderr).toBe(0);
    expect(accuracy('field.jsonl')).toEqual([1, 0.5, 0]);
    expect(field.stderr).toMatch(/judge checklist:key_facts: 3 calls/);
    expect(scene.code, scene.stderr).toBe(0);
    expect(accuracy('scene.jsonl')).toEqual([1, 0.5, 0]);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/RL-only/);
  });
});
