// Faults of the experiment CLI (`npm run experiment`, scripts/experiment.ts; README "Faults"): a bad
// --out is refused before any training (exit 2, named); a report file that cannot be written stops the
// run with exit 2 naming it, leaves no half-written report and saves the results elsewhere; a run
// killed midway (SIGTERM) leaves the reports of the finished arms whole and says there is no resume.
// One seed, one RL arm, one step, one question: seconds.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runTool, STACK_TRACE } from './cli_faults';

const dir = mkdtempSync(join(tmpdir(), 'p2r-experiment-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--seeds', '1', '--sft-steps', '1', '--group', '2', '--prompts', '1', '--modes', 'grpo', '--questions', '1'];
const experiment = (args: string[], options?: Parameters<typeof runTool>[2]) => runTool('scripts/experiment.ts', [...TINY, ...args], options);
const REPORTS = ['experiment.json', 'experiment.md', 'reward_curves.svg'];

describe('npm run experiment: faults', () => {
  it('refuses an --out whose parent is a file, before any training, exit 2 naming it', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const out = join(file, 'results');
    const r = await experiment(['--rl-steps', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(out);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).not.toMatch(/^seed 1 SFT/m);
  }, 60_000);

  it('stops with exit 2 naming a report file that cannot be written, writes no report half, and saves the results elsewhere', async () => {
    const out = join(dir, 'write-error');
    const r = await experiment(['--rl-steps', '1', '--out', out], { env: { P2R_INJECT_WRITE_ERROR: 'experiment.md' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(join(out, 'experiment.md'));
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stdout).not.toMatch(/^seed 1 grpo/m); // stopped at the first failed save, after SFT
    expect(readdirSync(out)).toEqual([]); // the three files are one unit: none was renamed into place
    const rescued = /saved to (\S+)/.exec(r.stderr)?.[1];
    expect(rescued, r.stderr).toBeTruthy();
    const json = JSON.parse(readFileSync(join(rescued!, 'experiment.json'), 'utf8')) as { runs: { arm: string }[] };
    expect(json.runs.map((x) => x.arm)).toEqual(['SFT']);
    for (const f of REPORTS) expect(existsSync(join(rescued!, f)), f).toBe(true);
    rmSync(rescued!, { recursive: true, force: true });
  }, 60_000);

  it('leaves the finished arms whole when stopped by SIGTERM, exits 143 and says there is no resume', async () => {
    const out = join(dir, 'interrupted');
    const r = await experiment(['--rl-steps', '400', '--out', out], {
      onStdout: (stdout, kill) => {
        if (/^seed 1 SFT/m.test(stdout)) kill('SIGTERM');
      },
    });
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('interrupted (SIGTERM)');
    expect(r.stderr).toContain('no resume');
    expect(readdirSync(out).sort()).toEqual([...REPORTS].sort()); // no temporary or partial file
    const json = JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')) as { runs: { arm: string }[] };
    expect(json.runs.map((x) => x.arm)).toEqual(['SFT']);
    expect(readFileSync(join(out, 'experiment.md'), 'utf8')).toContain('SFT');
  }, 60_000);
});
