// Faults of the training CLI (`npm run train`, scripts/train.ts; README "Faults"): a bad --out,
// --resume or --rollouts-out is refused before any training, with exit 2 and the file's name; a
// checkpoint write that fails leaves the previous checkpoint whole and says where the new one went;
// a log that cannot be written (stdout on a full disk) is not a success; SIGTERM stops after the step
// in progress, writes a checkpoint that --resume continues from. Tiny runs of the test preset.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runTool, STACK_TRACE } from './cli_faults';

const dir = mkdtempSync(join(tmpdir(), 'p2r-train-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--preset', 'test', '--samples', '8', '--eval-every', '0'];
const train = (args: string[], options?: Parameters<typeof runTool>[2]) => runTool('scripts/train.ts', [...TINY, ...args], options);
const stepOf = (ckptDir: string) => (JSON.parse(readFileSync(join(ckptDir, 'model.json'), 'utf8')) as { step: number }).step;

describe('npm run train: faults', () => {
  const previous = join(dir, 'previous');
  let previousFiles: Record<string, Buffer>;
  beforeAll(async () => {
    const r = await train(['--steps', '1', '--out', previous]);
    expect(r.code, r.stderr).toBe(0);
    previousFiles = Object.fromEntries(readdirSync(previous).map((f) => [f, readFileSync(join(previous, f))]));
  }, 120_000);

  it('refuses a bad --out (a parent that is a file, a file where the folder goes) before training, exit 2 naming it', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    for (const out of [join(file, 'ckpt'), file]) {
      const r = await train(['--steps', '2', '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(out);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expect(r.stdout).not.toMatch(/^step /m); // refused before the first step
    }
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  }, 120_000);

  it('refuses a --resume folder without a checkpoint, and a --rollouts-out in a missing folder, before training', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const resume = await train(['--steps', '2', '--resume', empty]);
    expect(resume.code, resume.stderr).toBe(2);
    expect(resume.stderr).toContain(`${join(empty, 'model.safetensors')} does not exist`);
    expect(resume.stderr).not.toMatch(STACK_TRACE);
    const missing = await train(['--steps', '2', '--resume', join(dir, 'no-such-folder')]);
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(`--resume ${join(dir, 'no-such-folder')}: the folder does not exist`);
    const rollouts = join(dir, 'missing', 'rollouts.jsonl');
    const rl = await train(['--mode', 'grpo', '--steps', '1', '--group', '2', '--prompts', '1', '--rollouts-out', rollouts]);
    expect(rl.code, rl.stderr).toBe(2);
    expect(rl.stderr).toContain(rollouts);
    expect(rl.stderr).not.toMatch(STACK_TRACE);
    expect(rl.stdout).not.toMatch(/^step /m);
  }, 120_000);

  it('keeps the previous checkpoint whole when a checkpoint write fails, exits 2 naming the file, and saves the new one elsewhere', async () => {
    const r = await train(['--steps', '2', '--out', previous], { env: { P2R_INJECT_WRITE_ERROR: 'model.json' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(join(previous, 'model.json'));
    expect(r.stderr).toContain('EIO');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).not.toMatch(/^checkpoint at step/m);
    // Both old files as they were (not a new safetensors beside the old JSON), no partial files left.
    expect(readdirSync(previous).sort()).toEqual(Object.keys(previousFiles).sort());
    for (const [f, bytes] of Object.entries(previousFiles)) expect(readFileSync(join(previous, f)).equals(bytes), f).toBe(true);
    const rescued = /saved to (\S+)/.exec(r.stderr)?.[1];
    expect(rescued, r.stderr).toBeTruthy();
    expect(stepOf(rescued!)).toBe(2);
    expect(existsSync(join(rescued!, 'model.safetensors'))).toBe(true);
    rmSync(rescued!, { recursive: true, force: true });
  }, 120_000);

  it('does not report success when its log cannot be written (stdout on a full disk)', async () => {
    const out = join(dir, 'full-log');
    const r = await train(['--steps', '1', '--out', out], { stdoutFile: '/dev/full' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/writing stdout .*failed: ENOSPC/);
    expect(stepOf(out)).toBe(1); // the checkpoint is still written
  }, 120_000);

  it('stops after the step in progress on SIGTERM, writes a checkpoint, and --resume continues from it', async () => {
    const out = join(dir, 'interrupted');
    const r = await train(['--steps', '400', '--log-every', '1', '--out', out], {
      onStdout: (stdout, kill) => {
        if (/^step +1 /m.test(stdout)) kill('SIGTERM');
      },
    });
    expect(r.code, r.stderr).toBe(143);
    const step = stepOf(out);
    expect(step).toBeGreaterThanOrEqual(2);
    expect(step).toBeLessThan(400);
    expect(r.stderr).toContain(`interrupted (SIGTERM) at step ${step}`);
    expect(r.stderr).toContain(`--resume ${out}`);
    const resumed = await train(['--steps', String(step + 1), '--resume', out, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming from ${out} at step ${step}`);
    expect(stepOf(out)).toBe(step + 1);
  }, 120_000);
});
