// Round trip: the dumps the Python package's verl and TRL integrations write (verl's rollout_data_dir
// `{step}.jsonl`, TRL's `completions_{step:05d}.parquet`) import into the Rollouts page's importers with
// perception and reasoning side by side, and the run summary charts both processes. The files are written
// fresh by integrations/python/tests/write_dumps.py (the package on the verl/TRL stand-ins, over the
// shared parity fixture) with Debian's /usr/bin/python3 and torch.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeSteps } from '../../src/rollouts/group';
import { importFiles } from '../../src/rollouts/importers';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'p2r-roundtrip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Expected {
  verl: { steps: Record<string, Record<string, { reward: Record<string, number | string> }>> };
  trl: { rows: number };
}
let expected: Expected;

beforeAll(() => {
  execFileSync('/usr/bin/python3', [join(ROOT, 'integrations', 'python', 'tests', 'write_dumps.py'), dir], { cwd: ROOT, stdio: 'pipe' });
  expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
}, 120_000);

const file = (path: string) => ({ name: path.slice(dir.length + 1), bytes: new Uint8Array(readFileSync(path)) });

describe('dumps written by the Python package, imported by the rollout inspector', () => {
  it("imports verl's rollout_data_dir with both processes' rewards, groups rebuilt from uid, and the trainer's advantages", async () => {
    const folder = join(dir, 'verl', 'rollout');
    const files = readdirSync(folder).map((f) => file(join(folder, f)));
    expect(files.map((f) => f.name).sort()).toEqual(['verl/rollout/1.jsonl', 'verl/rollout/2.jsonl']);
    const result = await importFiles(files, { runId: 'verl-pa-grpo' });
    expect(result.format).toBe('verl');
    const perStep = Object.keys(expected.verl.steps['1']).filter((k) => k !== 'metrics').length;
    expect(result.rollouts).toHaveLength(2 * perStep);
    for (const r of result.rollouts) {
      const uid = r.extra.uid ?? (r.raw as { uid?: string }).uid;
      const want = expected.verl.steps[String(r.step)][String(uid)].reward;
      expect(r.perception).toMatchObject({ accuracy: want.perception_accuracy, format: want.perception_format, length: want.perception_length, total: want.perception_total });
      expect(r.reasoning).toMatchObject({ accuracy: want.reasoning_accuracy, format: want.reasoning_format, length: want.reasoning_length, total: want.reasoning_total });
      // The inspector's own PA-GRPO advantages of the rebuilt group equal the ones the trainer used.
      expect(r.advantages?.perception).toBeCloseTo(r.rewards.perception_advantage, 5);
      expect(r.advantages?.reasoning).toBeCloseTo(r.rewards.reasoning_advantage, 5);
    }
    const groups = new Set(result.rollouts.filter((r) => r.step === 1).map((r) => r.groupId));
    // The fixture's groups, by uid: five of them share one prompt text, so grouping by text would merge them.
    const uids = new Set(Object.keys(expected.verl.steps['1']).filter((k) => k !== 'metrics').map((k) => k.split('_')[0]));
    expect(uids.size).toBe(9);
    expect(groups.size).toBe(uids.size);
    expect(result.warnings.filter((w) => /perception|reasoning/i.test(w))).toEqual([]);
    const steps = summarizeSteps(result.rollouts);
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    expect(steps[0].perception.total).toBeGreaterThan(0);
    expect(steps[0].reasoning.total).toBeGreaterThan(0);
    expect(steps[0].perception.total).not.toBe(steps[0].reasoning.total);
    expect(steps[0].collapsedBoth).toBeGreaterThan(0);
  });

  it("imports TRL's completions parquet with per-process reward, part and advantage columns", async () => {
    const path = join(dir, 'trl', 'completions', 'completions_00001.parquet');
    const result = await importFiles([file(path)], { runId: 'trl-pa-grpo' });
    expect(result.format).toBe('trl');
    expect(result.rollouts).toHaveLength(expected.trl.rows);
    expect(result.columns).toEqual(expect.arrayContaining(['perception_reward', 'reasoning_reward', 'perception_accuracy', 'reasoning_length', 'perception_advantage', 'reasoning_advantage', 'advantage']));
    for (const r of result.rollouts) {
      expect(r.perception?.total).toBe(r.rewards.perception_reward);
      expect(r.reasoning?.total).toBe(r.rewards.reasoning_reward);
      expect(r.perception?.accuracy).toBe(r.rewards.perception_accuracy);
      expect(r.reasoning?.accuracy).toBe(r.rewards.reasoning_accuracy);
      expect(r.advantages?.perception).toBeCloseTo(r.rewards.perception_advantage, 5);
      expect(r.advantage).toBeCloseTo(r.rewards.reasoning_advantage, 5); // GRPO's scalar = A_R in separate mode
    }
    expect(new Set(result.rollouts.map((r) => r.groupId)).size).toBe(expected.trl.rows / 4);
    const [step] = summarizeSteps(result.rollouts);
    expect(step.perception.accuracy).not.toBeNull();
    expect(step.reasoning.accuracy).not.toBeNull();
  });
});
